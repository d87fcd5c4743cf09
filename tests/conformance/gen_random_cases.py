#!/usr/bin/env python3
"""Writes a random Pyramid ACL case file (format pyramid-acl-cases/1) whose
expected answers come from a line-by-line Python transcription of Pyramid
2.0's ACLHelper, run on real Python objects, with messages rendered by
Python's own repr().

This gives the conformance tests an oracle that is independent of the C++
evaluator: no shared code, and the reprs (quoting, escapes, non-ASCII) are
Python's, not a re-implementation. Every answer is also cross-checked
against check_cases.py's reference model; generation fails if they differ.

Usage: gen_random_cases.py --seed N --trees N [--queries-per-tree N]
                           [--allowed-per-tree N] --out CASES.json
Needs only the standard library.
"""

import argparse
import json
import os
import random
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_cases  # noqa: E402  (the reference model, for a cross-check)

EVERYONE = "system.Everyone"
AUTHENTICATED = "system.Authenticated"
ALLOW = "Allow"
DENY = "Deny"


# -- Pyramid's objects, with the corpus's deterministic reprs -------------

class AllPermissionsList:
    """pyramid.authorization.AllPermissionsList: contains everything,
    iterates over nothing."""

    def __iter__(self):
        return iter(())

    def __contains__(self, other):
        return True

    def __eq__(self, other):
        return isinstance(other, self.__class__)

    def __hash__(self):
        return 0

    def __repr__(self):
        return "ALL_PERMISSIONS"


ALL_PERMISSIONS = AllPermissionsList()
DENY_ALL = (DENY, EVERYONE, ALL_PERMISSIONS)


class Resource:
    def __init__(self, name, parent):
        self.__name__ = name
        self.__parent__ = parent

    def __repr__(self):
        return "<Resource %r>" % (self.__name__,)


class RaisingResource(Resource):
    @property
    def __acl__(self):
        raise AttributeError("no ACL here")


def lineage(resource):
    while resource is not None:
        yield resource
        try:
            resource = resource.__parent__
        except AttributeError:
            resource = None


def is_nonstr_iter(v):
    return not isinstance(v, str) and hasattr(v, "__iter__")


class Result(int):
    def __new__(cls, ace, acl, permission, principals, context):
        inst = int.__new__(cls, cls.boolval)
        inst.ace, inst.acl, inst.permission = ace, acl, permission
        inst.principals, inst.context = principals, context
        return inst

    @property
    def msg(self):
        return ("%s permission %r via ACE %r in ACL %r on context %r for "
                "principals %r" % (self.__class__.__name__, self.permission,
                                   self.ace, self.acl, self.context,
                                   self.principals))


class ACLAllowed(Result):
    boolval = 1


class ACLDenied(Result):
    boolval = 0


def permits(context, principals, permission):
    acl = "<No ACL found on any object in resource lineage>"
    for location in lineage(context):
        try:
            acl = location.__acl__
        except AttributeError:
            continue
        if acl and callable(acl):
            acl = acl()
        for ace in acl:
            ace_action, ace_principal, ace_permissions = ace
            if ace_principal in principals:
                if not is_nonstr_iter(ace_permissions):
                    ace_permissions = [ace_permissions]
                if permission in ace_permissions:
                    cls = ACLAllowed if ace_action == ALLOW else ACLDenied
                    return cls(ace, acl, permission, principals, location)
    return ACLDenied("<default deny>", acl, permission, principals, context)


def principals_allowed_by_permission(context, permission):
    allowed = set()
    for location in reversed(list(lineage(context))):
        try:
            acl = location.__acl__
        except AttributeError:
            continue
        allowed_here = set()
        denied_here = set()
        if acl and callable(acl):
            acl = acl()
        for ace_action, ace_principal, ace_permissions in acl:
            if not is_nonstr_iter(ace_permissions):
                ace_permissions = [ace_permissions]
            if ace_action == ALLOW and permission in ace_permissions:
                if ace_principal not in denied_here:
                    allowed_here.add(ace_principal)
            if ace_action == DENY and permission in ace_permissions:
                denied_here.add(ace_principal)
                if ace_principal == EVERYONE:
                    allowed = set()
                    break
                elif ace_principal in allowed:
                    allowed.remove(ace_principal)
        allowed.update(allowed_here)
    return allowed


# -- random trees ---------------------------------------------------------

PRINCIPALS = [
    EVERYONE, AUTHENTICATED, "system.everyone", "system.Everyone ",
    "system.authenticated", "bob", "Bob", "bob ", "alice", "alicE", "fred",
    "wilma", "group:editors", "group:editor", "group:Editors", "role:admin",
    "role:admins", "", "o'brien", 'say "hi"', "both ' and \"", "back\\slash",
    "tab\there", "new\nline", "bell\x07", "del\x7f", "jos\u00e9", "v\u00efew",
    "nb\u00a0sp", "zero\u200bwidth", "soft\u00adhyphen", "\u4e2d\u6587",
    "emoji\U0001F600", "private\ue000use", "line\u2028sep", "\U000e0001tag",
]
PERMISSIONS = [
    "view", "edit", "add", "delete", "comment", "vie", "v", "view ",
    "View", "view_stuff", "", "read", "write", "vi\u00e9w", "it's",
    'q"uote', "a\\b",
]
UNUSED_PERMISSIONS = ["never-mentioned", "admin", "x" * 40]


def random_perms(rng):
    r = rng.random()
    if r < 0.15:
        return "ALL_PERMISSIONS"
    if r < 0.55:
        return rng.choice(PERMISSIONS)
    n = rng.choice([0, 1, 1, 2, 3, 4])
    # duplicates on purpose: Pyramid keeps them in the repr
    return [rng.choice(PERMISSIONS) for _ in range(n)]


def random_ace(rng, principals):
    if rng.random() < 0.07:
        return "DENY_ALL"
    if rng.random() < 0.04:
        return ["Deny", EVERYONE, "ALL_PERMISSIONS"]
    action = "Allow" if rng.random() < 0.6 else "Deny"
    return [action, rng.choice(principals), random_perms(rng)]


def random_tree(rng, tree_no):
    n = rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 12])
    principals = rng.sample(PRINCIPALS, rng.randint(3, 10))
    if EVERYONE not in principals and rng.random() < 0.7:
        principals.append(EVERYONE)
    nodes = []
    chain = rng.random() < 0.3
    for i in range(n):
        name = "n%d" % i if rng.random() < 0.9 else rng.choice(
            ["it's", 'q"n', "j\u00f6rg", "t\tab"]) + str(i)
        parent = None if i == 0 else (nodes[i - 1]["name"] if chain else
                                      nodes[rng.randrange(i)]["name"])
        r = rng.random()
        if r < 0.3:
            acl = None
            impl = rng.choice(["absent", "absent", "raises"])
        elif r < 0.4:
            acl, impl = [], rng.choice(["attr", "callable"])
        else:
            size = rng.choice([1, 2, 3, 4, 6, 9, 16, 30])
            acl = [random_ace(rng, principals) for _ in range(size)]
            if rng.random() < 0.15:  # an exact duplicate ACE
                dup = acl[rng.randrange(len(acl))]
                acl.append(list(dup) if isinstance(dup, list) else dup)
            impl = rng.choice(["attr", "attr", "callable"])
        nodes.append({"name": name, "parent": parent, "acl": acl,
                      "acl_impl": impl})
    return nodes, principals


def build(nodes):
    objs = {}
    for n in nodes:
        parent = objs[n["parent"]] if n["parent"] is not None else None
        impl = n["acl_impl"]
        obj = (RaisingResource if impl == "raises" else Resource)(
            n["name"], parent)
        if n["acl"] is not None:
            acl = []
            for ace in n["acl"]:
                if ace == "DENY_ALL":
                    acl.append(DENY_ALL)
                    continue
                action, principal, perms = ace
                if perms == "ALL_PERMISSIONS":
                    perms = ALL_PERMISSIONS
                elif isinstance(perms, list):
                    perms = tuple(perms)
                acl.append((action, principal, perms))
            if impl == "callable":
                obj.__acl__ = (lambda a: (lambda: a))(acl)
            else:
                obj.__acl__ = acl
        objs[n["name"]] = obj
    return objs


def acl_holder(objs, nodes, acl):
    for n in nodes:
        o = objs[n["name"]]
        got = getattr(o, "__acl__", None) if n["acl_impl"] != "raises" \
            else None
        if callable(got) and got:
            got = got()
        if got is acl:
            return n["name"]
    raise AssertionError("ACL not found in the tree")


def make_case(rng, tree_no, queries_per_tree, allowed_per_tree):
    nodes, principals = random_tree(rng, tree_no)
    objs = build(nodes)
    model = check_cases.Model({"nodes": nodes})
    case_id = "r-t%05d" % tree_no
    queries, allowed_queries = [], []
    for q in range(queries_per_tree):
        context = rng.choice(nodes)["name"]
        k = rng.choice([0, 1, 2, 3, 3, 4, 5])
        held = [rng.choice(principals + PRINCIPALS[:6]) for _ in range(k)]
        permission = rng.choice(PERMISSIONS + UNUSED_PERMISSIONS)
        # Aim half of the queries at an ACE of the lineage, so that ACE
        # decisions are as common as default denies.
        aces = [ace for name in model.lineage(context)
                for ace in (model.nodes[name]["acl"] or [])
                if ace != "DENY_ALL"]
        if aces and rng.random() < 0.5:
            _, principal, perms = rng.choice(aces)
            held.insert(rng.randrange(len(held) + 1), principal)
            if isinstance(perms, str) and perms != "ALL_PERMISSIONS":
                permission = perms
            elif isinstance(perms, list) and perms:
                permission = rng.choice(perms)
        result = permits(objs[context], held, permission)
        if isinstance(result.ace, str):
            acl_node = ace_index = None
            msg_acl_node = (None if isinstance(result.acl, str)
                            else acl_holder(objs, nodes, result.acl))
        else:
            acl_node = result.context.__name__
            ace_index = next(i for i, a in enumerate(result.acl)
                             if a is result.ace)
            msg_acl_node = acl_node
        expect = {"allowed": bool(result), "acl_node": acl_node,
                  "ace_index": ace_index, "msg_acl_node": msg_acl_node,
                  "msg": result.msg}
        m = model.permits(context, held, permission)
        for key in ("allowed", "acl_node", "ace_index", "msg_acl_node"):
            if m[key] != expect[key]:
                raise AssertionError("%s.q%d: model %s=%r, pyramid %r"
                                     % (case_id, q, key, m[key], expect[key]))
        queries.append({"id": "%s.q%d" % (case_id, q), "context": context,
                        "principals": held, "permission": permission,
                        "expect": expect})
    for a in range(allowed_per_tree):
        context = rng.choice(nodes)["name"]
        permission = rng.choice(PERMISSIONS + UNUSED_PERMISSIONS[:1])
        aces = [ace for name in model.lineage(context)
                for ace in (model.nodes[name]["acl"] or [])
                if ace != "DENY_ALL" and isinstance(ace[2], list) and ace[2]]
        if aces and rng.random() < 0.5:
            permission = rng.choice(rng.choice(aces)[2])
        expect = sorted(principals_allowed_by_permission(objs[context],
                                                         permission))
        m = model.principals_allowed(context, permission)
        if m != expect:
            raise AssertionError("%s.a%d: model %r, pyramid %r"
                                 % (case_id, a, m, expect))
        allowed_queries.append({"id": "%s.a%d" % (case_id, a),
                                "context": context, "permission": permission,
                                "expect": expect})
    return {"id": case_id, "source": "random", "tree": {"nodes": nodes},
            "queries": queries, "allowed_queries": allowed_queries}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--trees", type=int, required=True)
    ap.add_argument("--queries-per-tree", type=int, default=10)
    ap.add_argument("--allowed-per-tree", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    cases = [make_case(rng, t, args.queries_per_tree, args.allowed_per_tree)
             for t in range(args.trees)]
    doc = {"format": "pyramid-acl-cases/1",
           "generator": {"script": "gen_random_cases.py", "seed": args.seed,
                         "trees": args.trees,
                         "oracle": "transcription of pyramid 2.0 ACLHelper"},
           "cases": cases}
    with open(args.out, "w", encoding="utf-8") as f:
        f.write('{"format":"pyramid-acl-cases/1","generator":%s,"cases":[\n'
                % json.dumps(doc["generator"]))
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")
    total = sum(len(c["queries"]) + len(c["allowed_queries"]) for c in cases)
    print("wrote %d cases, %d queries to %s" % (len(cases), total, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

// A shared library that is not an orb plugin (no ORB_PLUGIN).
extern "C" __attribute__((visibility("default"))) int not_an_orb_plugin() { return 42; }

{
  "targets": [
    {
      "target_name": "ralph_spawn",
      "sources": ["native/spawn.c"],
      "cflags": ["-O2", "-Wall"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["native/spawn.c"]}]]
    }
  ]
}

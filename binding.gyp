{
  "targets": [
    {
      "target_name": "node_librsync",
      "sources": [
        "native/addon.cc",
        "native/basis_reader.cc",
        "native/data_extents.cc",
        "native/file_times.cc",
        "native/job.cc",
        "native/result_codes.cc",
        "native/signature_set.cc",
        "native/sync_fs.cc",
        "native/trace_capture.cc",
        "native/xattrs.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "LIBRSYNC_SOURCE_HASH=\"<!(node scripts/source-hash.js)\""
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lrsync"],
      "conditions": [
        ["OS=='mac'", {
          "include_dirs": ["/opt/homebrew/include", "/usr/local/include"],
          "libraries": ["-L/opt/homebrew/lib", "-L/usr/local/lib"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }]
      ]
    }
  ]
}

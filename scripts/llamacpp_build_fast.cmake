# Included into llama.cpp's configure by scripts/bench_vs_llamacpp.sh
# (CMAKE_PROJECT_INCLUDE): the graph builders of every architecture but
# llama (src/models/*.cpp, ~140 files that the benchmark never runs) compile
# without optimisation, which halves the build on a busy 2-core machine.
# ggml, libllama's own code and src/models/llama.cpp keep the Release flags.
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _attn_unused_models_at_o0)
function(_attn_unused_models_at_o0)
  file(GLOB models "${CMAKE_SOURCE_DIR}/src/models/*.cpp")
  list(REMOVE_ITEM models "${CMAKE_SOURCE_DIR}/src/models/llama.cpp")
  set_source_files_properties(${models} DIRECTORY "${CMAKE_SOURCE_DIR}/src" PROPERTIES COMPILE_OPTIONS "-O0")
endfunction()

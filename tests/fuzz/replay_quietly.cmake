# cmake -DREPLAY=<clwleak_fuzz_replay> -DINPUTS=<dir>[,<dir>...] -P replay_quietly.cmake
# Replays the inputs through the fuzz target and fails unless it exits 0 with nothing on stderr:
# reading any file, one whose text is not UTF-8 included (data/echo-nonutf8-arg.pb), must not make
# protobuf or any other library write a word.
string(REPLACE "," ";" inputs "${INPUTS}")
execute_process(COMMAND "${REPLAY}" ${inputs}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "the replay exited ${status}; its stderr:\n${err}")
endif()
if(NOT err STREQUAL "")
  message(FATAL_ERROR "the replay wrote on stderr (nothing may):\n${err}")
endif()

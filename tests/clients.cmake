# Real Ethereum clients from npm against `parevm node --dev` (issue 11):
# viem, ethers and Foundry's cast drive the node unmodified; bad input over
# HTTP; the differential against anvil (anvil_diff). The scripts (tests/clients/*.mjs)
# start and stop their own nodes on free loopback ports. They need node and
# the tools scripts/install-npm-tools.sh puts into .npm-tools/ (`make test`
# installs them); without either they FAIL, they are never skipped.
find_program(PAREVM_NODEJS node)
set(npm_tools ${CMAKE_SOURCE_DIR}/.npm-tools)
foreach(t viem ethers cast bad_input anvil_diff)
  if(PAREVM_NODEJS)
    add_test(NAME clients/${t}
             COMMAND ${PAREVM_NODEJS} ${CMAKE_SOURCE_DIR}/tests/clients/${t}.mjs
                     --parevm $<TARGET_FILE:parevm> --tools ${npm_tools})
  else()
    add_test(NAME clients/${t} COMMAND ${CMAKE_COMMAND} -E echo "node (nodejs) not found: install it (scripts/install-deps.sh npm)")
    set_tests_properties(clients/${t} PROPERTIES FAIL_REGULAR_EXPRESSION "not found")
  endif()
  set_tests_properties(clients/${t} PROPERTIES TIMEOUT 600 LABELS clients)
endforeach()

/* parevm's version: the CLI's --version, web3_clientVersion and the CMake
 * project's VERSION (CMakeLists.txt reads it from here). */
#ifndef PAREVM_VERSION_H
#define PAREVM_VERSION_H

#define PAREVM_VERSION "0.1.0"

#endif

// SPDX-License-Identifier: MIT
// Calls Hardhat's console.sol address as console.sol does (a STATICCALL of
// an ABI-encoded log(...) call), for tests/clients/console_log.mjs: every
// format specifier on every argument type, the signature families, and
// input that is no console call.
pragma solidity ^0.8.24;

contract Logger {
    address constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function _log(bytes memory payload) internal view {
        (bool ok, ) = CONSOLE.staticcall(payload);
        ok;
    }

    function specs(string memory f, uint256 x, int256 y, bool b, address a) internal view {
        _log(abi.encodeWithSignature("log(string,uint256)", f, x));
        _log(abi.encodeWithSignature("log(string,int256)", f, y));
        _log(abi.encodeWithSignature("log(string,bool)", f, b));
        _log(abi.encodeWithSignature("log(string,address)", f, a));
        _log(abi.encodeWithSignature("log(string,string)", f, "str"));
    }

    function formats(uint256 x, int256 y, bool b, address a) public view {
        string[16] memory fs = ["s=%s", "d=%d", "i=%i", "o=%o", "x=%x", "e=%e", "18e=%18e", "0e=%0e", "2e=%2e",
                                "76e=%76e", "%%s %s", "%q %5d %", "100%", "", "a %s b %s", "%d%d"];
        for (uint256 i = 0; i < fs.length; i++) specs(fs[i], x, y, b, a);
    }

    function families(uint256 x, int256 y, address a, bytes32 h) public view {
        _log(abi.encodeWithSignature("log()"));
        _log(abi.encodeWithSignature("log(uint256)", x));
        _log(abi.encodeWithSignature("log(int256)", y));
        _log(abi.encodeWithSignature("log(string)", "only %s %d 100%% done"));
        _log(abi.encodeWithSignature("log(bool)", false));
        _log(abi.encodeWithSignature("log(address)", a));
        _log(abi.encodeWithSignature("log(bytes)", abi.encodePacked(h, uint8(7))));
        _log(abi.encodeWithSignature("log(bytes)", ""));
        _log(abi.encodeWithSignature("log(bytes1)", bytes1(h)));
        _log(abi.encodeWithSignature("log(bytes20)", bytes20(h)));
        _log(abi.encodeWithSignature("log(bytes32)", h));
        _log(abi.encodeWithSignature("log(uint256,uint256)", x, 0));
        _log(abi.encodeWithSignature("log(bool,address)", true, a));
        _log(abi.encodeWithSignature("log(address,string,uint256)", a, "mid", x));
        _log(abi.encodeWithSignature("log(string,string,string)", "%s-%s", "a", "b"));
        _log(abi.encodeWithSignature("log(uint256,bool,string,address)", x, true, "x", a));
        _log(abi.encodeWithSignature("log(string,uint256,bool,address)", "%o|%x|%d", x, true, a));
        _log(abi.encodeWithSignature("log(string,string,string,string)", "", "no", "format", "here"));
        _log(abi.encodeWithSignature("log(string)", "line one\nline two\r\nline three\n"));
        _log(abi.encodeWithSignature("log(string)", ""));
        // not console calls: an unknown selector, a short input, a string
        // that is not UTF-8, an offset out of range
        _log(abi.encodeWithSignature("nothing(uint256)", x));
        _log(abi.encodePacked(bytes4(keccak256("log(uint256)"))));
        _log(abi.encodeWithSignature("log(string)", hex"ff00"));
        _log(abi.encodePacked(bytes4(keccak256("log(string)")), uint256(4096), uint256(1)));
    }

    function run(uint256 x, int256 y, address a, bytes32 h) external {
        formats(x, y, x % 2 == 1, a);
        families(x, y, a, h);
        dsEvents(x, y, a, h);
        emit Done(x);
    }

    function fails(uint256 x) external {
        _log(abi.encodeWithSignature("log(string,uint256)", "before the revert %d", x));
        emit log_named_uint("reverted event", x);
        require(x == 0, "nope");
    }

    event Done(uint256 x);

    // ds-test's (forge-std's) log events, which anvil prints too, among
    // the console.log calls in the order they happen
    event log(string);
    event logs(bytes);
    event log_address(address);
    event log_bytes32(bytes32);
    event log_int(int256);
    event log_uint(uint256);
    event log_bytes(bytes);
    event log_string(string);
    event log_array(uint256[] val);
    event log_array(int256[] val);
    event log_array(address[] val);
    event log_named_address(string key, address val);
    event log_named_bytes32(string key, bytes32 val);
    event log_named_decimal_int(string key, int256 val, uint256 decimals);
    event log_named_decimal_uint(string key, uint256 val, uint256 decimals);
    event log_named_int(string key, int256 val);
    event log_named_uint(string key, uint256 val);
    event log_named_bytes(string key, bytes val);
    event log_named_string(string key, string val);
    event log_named_array(string key, uint256[] val);
    event log_named_array(string key, int256[] val);
    event log_named_array(string key, address[] val);

    function dsEvents(uint256 x, int256 y, address a, bytes32 h) internal {
        uint256[] memory us = new uint256[](3);
        us[0] = x;
        us[1] = 0;
        us[2] = type(uint256).max;
        int256[] memory is_ = new int256[](2);
        is_[0] = y;
        is_[1] = type(int256).min;
        address[] memory as_ = new address[](2);
        as_[0] = a;
        as_[1] = address(this);
        emit log("ds line\nsecond line");
        _log(abi.encodeWithSignature("log(string)", "console between events"));
        emit logs(abi.encodePacked(h, uint8(1)));
        emit log_address(a);
        emit log_bytes32(h);
        emit log_int(y);
        emit log_uint(x);
        emit log_bytes("");
        emit log_string("ds string");
        emit log_array(us);
        emit log_array(is_);
        emit log_array(as_);
        emit log_array(new uint256[](0));
        emit log_named_address("addr", a);
        emit log_named_bytes32("h", h);
        emit log_named_decimal_int("dint", y, 3);
        emit log_named_decimal_int("dint0", y, 0);
        emit log_named_decimal_uint("duint", x, 18);
        emit log_named_decimal_uint("duint big decimals", x, 78);
        emit log_named_decimal_uint("duint 77", x, 77);
        emit log_named_decimal_uint("duint huge decimals", x, type(uint256).max);
        emit log_named_int("int", y);
        emit log_named_uint("uint", x);
        emit log_named_bytes("bytes", abi.encodePacked(h));
        emit log_named_string("string", "value");
        emit log_named_array("us", us);
        emit log_named_array("is", is_);
        emit log_named_array("as", as_);
        this.dsChild(x);
        // the right topic with a second one: anvil decodes it all the same
        bytes32 t = keccak256("log_uint(uint256)");
        assembly {
            mstore(0, x)
            log2(0, 32, t, 7)
        }
    }

    function dsChild(uint256 x) external {
        emit log_named_uint("child", x);
        _log(abi.encodeWithSignature("log(string,uint256)", "child console %d", x));
        emit log_named_string("child after", "done");
    }
}

// SPDX-License-Identifier: MIT
// Frames of every kind for tests/clients/print_traces.mjs (anvil's
// --print-traces against parevm's): precompiles, logs, storage changes,
// creations (CREATE, CREATE2, failing ones), self-destructs, reverts with
// Error(string), Panic, custom errors and raw text, calls that run out of
// gas or hit an invalid opcode, DELEGATECALL, STATICCALL and ether sent.
pragma solidity ^0.8.24;

contract Child {
    uint256 public stored;
    event Poked(address indexed who, uint256 value);

    constructor() payable {}

    function poke(uint256 v) external payable returns (uint256) {
        stored = v;
        emit Poked(msg.sender, v);
        return v * 2;
    }

    uint256[] public list;

    function fail(uint256 kind) external {
        if (kind == 8) list.pop();
        if (kind == 0) revert("plain reason");
        if (kind == 1) assert(false);
        if (kind == 2) revert Custom(kind, "why");
        if (kind == 3) {
            assembly {
                mstore(0, "raw text")
                revert(0, 8)
            }
        }
        if (kind == 4) {
            assembly {
                invalid()
            }
        }
        uint256[] memory none = new uint256[](kind - 5);
        if (kind == 5) none = new uint256[](1 / none.length);
        if (kind == 6) none[kind] = 1;
        if (kind == 7) Mood(kind);
        while (true) {}
    }

    enum Mood {
        Calm,
        Busy
    }

    error Custom(uint256 kind, string what);

    function bye(address payable to) external {
        selfdestruct(to);
    }
}

contract Traces {
    uint256 public counter;
    mapping(uint256 => uint256) public big;
    event Ran(uint256 indexed step, bytes32 indexed tag, bytes data);
    event Plain(uint256 a);

    receive() external payable {}

    function precompiles(bytes32 hash, uint8 v, bytes32 r, bytes32 s) external returns (address) {
        address signer = ecrecover(hash, v, r, s);
        bytes32 h = sha256(abi.encodePacked(hash));
        bytes20 m = ripemd160(abi.encodePacked(hash));
        (bool ok, bytes memory id) = address(4).staticcall(abi.encodePacked(h, m));
        (bool ok2, ) = address(4).call{value: 1}("");
        emit Ran(1, h, id);
        counter += ok && !ok2 ? 1 : 2;
        return signer;
    }

    function fill(uint256 n) external {
        for (uint256 i = 0; i < n; i++) big[i * 1e7] = type(uint256).max - i;
        big[5] = 7;
        big[5] = 0;
        counter = 999999;
        emit Plain(n);
    }

    function children(uint256 seed) external payable {
        Child c = new Child{value: 3}();
        Child d = new Child{salt: bytes32(seed)}();
        c.poke{value: 1}(seed);
        emit Plain(c.stored());
        (bool ok, ) = address(d).delegatecall(abi.encodeCall(Child.poke, (seed + 1)));
        for (uint256 k = 0; k < 10; k++) {
            try c.fail{gas: 30000}(k) {} catch {}
        }
        c.bye(payable(msg.sender));
        payable(address(0xdead)).transfer(1);
        emit Plain(ok ? 1 : 0);
        // last: a collision takes all but 1/64 of the gas left
        try new Child{salt: bytes32(seed)}() {} catch {}
    }

    // console.sol's calls of the argument types Console.sol's formats()
    // leaves out, and strings that need escapes
    function consoleCalls(bytes32 h) external view {
        address console = 0x000000000000000000636F6e736F6c652e6c6f67;
        bytes[9] memory calls = [
            abi.encodeWithSignature("log(bytes)", abi.encodePacked(h, uint8(7))),
            abi.encodeWithSignature("log(bytes)", ""),
            abi.encodeWithSignature("log(bytes1)", bytes1(h)),
            abi.encodeWithSignature("log(bytes20)", bytes20(h)),
            abi.encodeWithSignature("log(bytes32)", h),
            abi.encodeWithSignature("log(int256)", type(int256).min),
            abi.encodeWithSignature("log(uint256,bool,string,address)", type(uint256).max, false, "x", msg.sender),
            abi.encodeWithSignature("log(string)", "quote \" backslash \\ tab \t newline \n nul \x00 bell \x07 esc \x1b del \x7f c1 \u0085 caf\u00e9"),
            abi.encodeWithSignature("log(string,string)", hex"ff41", "")
        ];
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, ) = console.staticcall(calls[i]);
            ok;
        }
    }

    function failTop(uint256 kind) external view {
        if (kind == 0) require(counter == 12345, "counter is not 12345");
        if (kind == 1) revert Child.Custom(kind, "top");
        uint256 x = counter - 1000000 * (kind + 1);
        x;
    }
}

// SPDX-License-Identifier: MIT
// The contracts the node's client tests deploy (tests/clients): an ERC-20
// that viem, ethers and cast drive against `parevm node --dev`, and a few
// contracts the differential against anvil runs on both nodes (storage,
// logs, reverts, self-destruct). Compiled with solc-js at test time.
pragma solidity ^0.8.24;

contract Token {
    string public constant name = "Parevm Test Token";
    string public constant symbol = "PTT";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error NotOwner(address caller);

    address public immutable owner;

    constructor(uint256 supply) {
        owner = msg.sender;
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "insufficient balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "insufficient allowance");
        require(balanceOf[from] >= value, "insufficient balance");
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }

    /// Only the deployer may mint: anyone else gets the custom error.
    function mint(address to, uint256 value) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }
}

/// Storage, transient storage, logs and block fields, for the differential.
contract Misc {
    uint256 public counter;
    mapping(uint256 => bytes32) public slots;

    event Note(uint256 indexed n, bytes32 indexed tag, bytes data);

    function bump(uint256 times) external payable {
        for (uint256 i = 0; i < times; i++) {
            counter += 1;
            slots[counter] = keccak256(abi.encode(counter, block.number, block.timestamp, block.basefee));
        }
        // block fields both nodes share (not BLOCKHASH: anvil's chain has
        // other block hashes)
        emit Note(counter, bytes32(uint256(uint160(address(block.coinbase))) ^ block.chainid ^ block.gaslimit),
                  abi.encodePacked(msg.value, gasleft() > 0));
    }

    function clear(uint256 k) external {
        delete slots[k];
    }

    function transient(uint256 v) external returns (uint256 r) {
        assembly {
            tstore(0, v)
            r := tload(0)
        }
        counter = r;
    }

    function fail(uint256 code) external pure {
        if (code == 1) revert("misc: failed");
        if (code == 2) assert(false);
        if (code == 3) {
            uint256 z = 0;
            z = 1 / z;
        }
        revert();
    }
}

/// Sends its balance to the beneficiary and self-destructs: in the creating
/// transaction (the account is deleted, EIP-6780) or later (only the
/// balance moves).
contract Doomed {
    constructor(address payable beneficiary, bool now_) payable {
        if (now_) selfdestruct(beneficiary);
    }

    function destroy(address payable beneficiary) external {
        selfdestruct(beneficiary);
    }

    receive() external payable {}
}

/// Value sent on inside a transaction, contracts created by CREATE and
/// CREATE2, and a reverted inner transfer: what Otterscan's internal
/// operations and trace list show.
contract Factory {
    function forward(address payable to, uint256 keep) external payable {
        (bool ok, ) = to.call{value: msg.value - keep}("");
        require(ok, "factory: forward failed");
    }

    function make(bytes32 salt, address payable beneficiary) external payable returns (address) {
        return address(new Doomed{salt: salt, value: msg.value}(beneficiary, false));
    }

    function spawn(address payable beneficiary) external payable returns (address) {
        return address(new Doomed{value: msg.value}(beneficiary, true));
    }

    function peek(address target) external payable returns (uint256 a, uint256 b) {
        (, bytes memory x) = target.staticcall(abi.encodeWithSignature("counter()"));
        (, bytes memory y) = target.delegatecall(abi.encodeWithSignature("counter()"));
        a = x.length;
        b = y.length;
    }

    function failing(address payable to) external payable {
        (bool ok, ) = to.call{value: 1}("");
        ok;
        revert("factory: no");
    }
}

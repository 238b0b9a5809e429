// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {JuryCourt} from "../JuryCourt.sol";
import {PocketToken} from "../PocketToken.sol";
import {Staking} from "../Staking.sol";
import {TaskMarket} from "../TaskMarket.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {Test, Vm} from "./utils/Test.sol";

/// @notice Drives random sequences of lifecycle calls for the invariant tests; reverts are swallowed.
contract MarketHandler is Test {
    TaskMarket internal market;
    Staking internal staking;
    PocketToken internal token;
    address[] public actors; // [requester, node1, node2, auditor, juror x3, owner]
    uint256[] public tasks;

    constructor(TaskMarket market_, Staking staking_, PocketToken token_, address[] memory actors_) {
        market = market_;
        staking = staking_;
        token = token_;
        actors = actors_;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function taskCount() external view returns (uint256) {
        return tasks.length;
    }

    function _task(uint256 seed) internal view returns (uint256) {
        return tasks.length == 0 ? 0 : tasks[seed % tasks.length];
    }

    function post(uint96 maxPrice) external {
        maxPrice = uint96(bound(maxPrice, 1, 50e18));
        TaskMarket.PostTaskParams memory p = TaskMarket.PostTaskParams({
            modelDigest: keccak256("m"),
            inputHash: keccak256("i"),
            input: "",
            inputURI: "ipfs://x",
            samplingParams: "",
            seed: 1,
            maxPrice: maxPrice,
            bidDeadline: uint64(block.timestamp + 10 minutes),
            execWindow: 5 minutes
        });
        vm.prank(actors[0]);
        try market.postTask(p) returns (uint256 id) {
            tasks.push(id);
        } catch {}
    }

    function bid(uint256 taskSeed, uint256 nodeSeed, uint96 price) external {
        uint256 id = _task(taskSeed);
        address node = actors[1 + (nodeSeed % 6)]; // nodes, auditor and jurors are all staked
        price = uint96(bound(price, 1, market.taskOf(id).maxPrice == 0 ? 1 : market.taskOf(id).maxPrice));
        vm.prank(node);
        try market.placeBid(id, price) {} catch {}
    }

    function assign(uint256 taskSeed, uint8 bidIndex) external {
        uint256 id = _task(taskSeed);
        vm.prank(actors[0]);
        try market.assignTask(id, bidIndex % 4) {} catch {}
    }

    function commit(uint256 taskSeed) external {
        uint256 id = _task(taskSeed);
        (address node,) = market.assignmentOf(id);
        vm.prank(node);
        try market.commitResult(id, keccak256("r"), keccak256("o"), "", "") {} catch {}
    }

    function challenge(uint256 taskSeed) external {
        uint256 id = _task(taskSeed);
        vm.prank(actors[3]);
        try market.challenge(id, bytes32(0)) {} catch {}
    }

    function vote(uint256 taskSeed, uint8 guiltyMask, bool reveal) external {
        uint256 id = _task(taskSeed);
        address[] memory jurors = market.jurorsOf(id);
        for (uint256 i; i < jurors.length; ++i) {
            bool guilty = (guiltyMask >> i) & 1 == 1;
            bytes32 salt = bytes32(i);
            if (reveal) {
                vm.prank(jurors[i]);
                try market.revealVote(id, guilty, salt) {} catch {}
            } else {
                bytes32 commitment = market.voteCommitment(id, jurors[i], guilty, salt);
                vm.prank(jurors[i]);
                try market.commitVote(id, commitment) {} catch {}
            }
        }
    }

    function settle(uint256 taskSeed, uint8 how) external {
        uint256 id = _task(taskSeed);
        vm.prank(actors[how % actors.length]);
        if (how % 4 == 0) {
            try market.finalizeTask(id) {} catch {}
        } else if (how % 4 == 1) {
            try market.cancelTask(id) {} catch {}
        } else if (how % 4 == 2) {
            try market.timeoutTask(id) {} catch {}
        } else {
            try market.resolveChallenge(id) {} catch {}
        }
    }

    function withdraw(uint256 actorSeed) external {
        vm.prank(actors[actorSeed % actors.length]);
        try market.withdraw() {} catch {}
    }

    function unbond(uint256 actorSeed, uint96 amount, bool withdrawNow) external {
        address a = actors[1 + (actorSeed % 6)];
        vm.prank(a);
        if (withdrawNow) {
            try staking.withdrawUnbonded() {} catch {}
        } else {
            try staking.requestUnbond(uint96(bound(amount, 1, 300e18))) {} catch {}
        }
    }

    function warp(uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 1, 20 minutes));
    }
}

contract InvariantsTest is MarketFixture {
    MarketHandler internal handler;
    address[] internal actors;
    address internal node2 = address(0x1003);

    function setUp() public override {
        super.setUp();
        _stake(node2, 1_000e18);
        token.mint(requester, 1_000_000e18);
        actors.push(requester);
        actors.push(node);
        actors.push(node2);
        actors.push(auditor);
        for (uint256 i; i < jurors.length; ++i) actors.push(jurors[i]);
        actors.push(owner);
        handler = new MarketHandler(market, staking, token, actors);
        // the auditor pays challenge bonds
        token.mint(auditor, 1_000_000e18);
    }

    /// @dev The Solidity test runner fuzzes only the handler.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// The market's token balance always equals open escrows + open bonds + balances owed.
    function invariant_MarketBalanceEqualsObligations() public view {
        uint256 obligations;
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.tasks(i);
            TaskMarket.Task memory t = market.taskOf(id);
            if (
                t.state == TaskMarket.TaskState.Posted || t.state == TaskMarket.TaskState.Assigned
                    || t.state == TaskMarket.TaskState.Committed || t.state == TaskMarket.TaskState.Challenged
            ) obligations += t.maxPrice;
            if (t.state == TaskMarket.TaskState.Challenged) obligations += market.challengeOf(id).bond;
        }
        for (uint256 i; i < actors.length; ++i) obligations += market.owedOf(actors[i]);
        assertEq(token.balanceOf(address(market)), obligations, "market balance != obligations");
    }

    /// Staking holds exactly the bonded + unbonding stake of all nodes (nobody withdrew more than they had).
    function invariant_StakingBalanceEqualsStake() public view {
        uint256 total;
        for (uint256 i = 1; i < 7; ++i) {
            Staking.NodeStake memory s = staking.stakeOf(actors[i]);
            total += uint256(s.staked) + s.unbonding;
        }
        assertEq(token.balanceOf(address(staking)), total, "staking balance != stake");
    }

    /// Tokens are never created or destroyed by the protocol: balances of all holders add up to the supply.
    function invariant_SupplyConserved() public view {
        uint256 sum = token.balanceOf(address(market)) + token.balanceOf(address(staking));
        for (uint256 i; i < actors.length; ++i) sum += token.balanceOf(actors[i]);
        assertEq(sum, token.totalSupply(), "supply leaked");
    }
}

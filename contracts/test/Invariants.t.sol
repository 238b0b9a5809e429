// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {JuryCourt} from "../JuryCourt.sol";
import {MarketCore} from "../MarketCore.sol";
import {MarketExtension} from "../MarketExtension.sol";
import {MarketParameters} from "../MarketParameters.sol";
import {PocketToken} from "../PocketToken.sol";
import {Staking} from "../Staking.sol";
import {TaskMarket} from "../TaskMarket.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";
import {Test, Vm} from "./utils/Test.sol";

/**
 * @notice Drives random sequences of lifecycle calls for the invariant tests; reverts are swallowed. Includes
 * self-dealing (a node posting tasks that its sybil bids on, the requester bidding on its own tasks) and
 * parameter changes proposed and executed while tasks are in flight.
 */
contract MarketHandler is Test {
    TaskMarket internal market;
    MarketExtension internal ext;
    Staking internal staking;
    PocketToken internal token;
    address[] public actors; // [requester, node1, node2, auditor, juror x3, owner]
    uint256[] public tasks;

    constructor(TaskMarket market_, Staking staking_, PocketToken token_, address[] memory actors_) {
        market = market_;
        ext = MarketExtension(address(market_));
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

    function post(uint96 maxPrice, bool byNode) external {
        maxPrice = uint96(bound(maxPrice, 1, 50e18));
        MarketCore.PostTaskParams memory p = MarketCore.PostTaskParams({
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
        vm.prank(byNode ? actors[1] : actors[0]); // a node posting for its sybil (node2) to serve
        try market.postTask(p) returns (uint256 id) {
            tasks.push(id);
        } catch {}
    }

    function bid(uint256 taskSeed, uint256 nodeSeed, uint96 price) external {
        uint256 id = _task(taskSeed);
        // nodes, auditor and jurors are staked; seed 6 is the requester bidding on its own task
        address node = nodeSeed % 7 == 6 ? actors[0] : actors[1 + (nodeSeed % 6)];
        price = uint96(bound(price, 1, market.taskOf(id).maxPrice == 0 ? 1 : market.taskOf(id).maxPrice));
        vm.prank(node);
        try market.placeBid(id, price) {} catch {}
    }

    function assign(uint256 taskSeed, uint8 bidIndex) external {
        uint256 id = _task(taskSeed);
        vm.prank(market.requesterOf(id));
        try market.assignTask(id, bidIndex % 4) {} catch {}
    }

    function commit(uint256 taskSeed) external {
        uint256 id = _task(taskSeed);
        (address node,) = market.assignmentOf(id);
        vm.prank(node);
        try market.commitResult(id, keccak256("r"), keccak256("o"), "", "") {} catch {}
    }

    function challenge(uint256 taskSeed, bool byRequester, bool reveal) external {
        uint256 id = _task(taskSeed);
        address challenger = byRequester ? market.requesterOf(id) : actors[3];
        bytes32 secret = keccak256(abi.encode(id));
        if (reveal) {
            vm.prank(ext.challengeOf(id).challenger);
            try ext.challenge(id, bytes32(0), secret) {} catch {}
        } else {
            bytes32 seedHash = ext.seedCommitment(id, challenger, secret);
            vm.prank(challenger);
            try ext.commitChallenge(id, seedHash) {} catch {}
        }
    }

    function proposeParameters(uint64 window, uint16 bps, uint8 jury, bool execute) external {
        if (execute) {
            try ext.executeParameters() {} catch {}
            return;
        }
        MarketParameters.Parameters memory p = market.parameters();
        p.challengeWindow = uint64(bound(window, 1 minutes, 20 minutes));
        p.voteCommitWindow = uint64(bound(window >> 8, 1 minutes, 20 minutes));
        p.slashBps = uint16(bound(bps, 1, 10_000));
        p.bidBondBps = uint16(bound(bps >> 4, 0, 10_000));
        p.undecidedFeeBps = uint16(bound(bps >> 2, 0, 10_000));
        p.jurySize = uint8(bound(jury, 0, 1)) * 2 + 1;
        vm.prank(actors[7]);
        try ext.proposeParameters(p, actors[7]) {} catch {}
    }

    function vote(uint256 taskSeed, uint8 guiltyMask, bool reveal) external {
        uint256 id = _task(taskSeed);
        address[] memory jurors = ext.jurorsOf(id);
        for (uint256 i; i < jurors.length; ++i) {
            bool guilty = (guiltyMask >> i) & 1 == 1;
            bytes32 salt = bytes32(i);
            if (reveal) {
                vm.prank(jurors[i]);
                try ext.revealVote(id, guilty, salt) {} catch {}
            } else {
                bytes32 commitment = ext.voteCommitment(id, jurors[i], guilty, salt);
                vm.prank(jurors[i]);
                try ext.commitVote(id, commitment) {} catch {}
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
            try ext.resolveChallenge(id) {} catch {}
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
        vm.warp(block.timestamp + bound(dt, 1, 20 minutes + (dt % 7 == 0 ? 2 days : 0)));
        vm.roll(block.number + 1);
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
        // the auditor pays challenge bonds; the node posts tasks too
        token.mint(auditor, 1_000_000e18);
        _fund(node, 1_000_000e18);
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
            MarketCore.Task memory t = market.taskOf(id);
            bool disputed = t.state == MarketCore.TaskState.Challenged || t.state == MarketCore.TaskState.ChallengePending;
            if (
                t.state == MarketCore.TaskState.Posted || t.state == MarketCore.TaskState.Assigned
                    || t.state == MarketCore.TaskState.Committed || disputed
            ) obligations += t.maxPrice;
            if (disputed) obligations += ext.challengeOf(id).bond;
        }
        for (uint256 i; i <= actors.length; ++i) {
            address a = i < actors.length ? actors[i] : treasury;
            obligations += market.owedOf(a);
            if (market.vestingOf(a).readyAt > block.timestamp) obligations += market.vestingOf(a).amount;
        }
        assertEq(token.balanceOf(address(market)), obligations, "market balance != obligations");
    }

    /// Staking holds exactly the bonded + unbonding stake of all nodes (nobody withdrew more than they had).
    function invariant_StakingBalanceEqualsStake() public view {
        uint256 total;
        for (uint256 i; i < 7; ++i) {
            Staking.NodeStake memory s = staking.stakeOf(actors[i]);
            total += uint256(s.staked) + s.unbonding;
        }
        assertEq(token.balanceOf(address(staking)), total, "staking balance != stake");
    }

    /// Tokens are never created or destroyed by the protocol: balances of all holders add up to the supply.
    function invariant_SupplyConserved() public view {
        uint256 sum = token.balanceOf(address(market)) + token.balanceOf(address(staking)) + token.balanceOf(treasury);
        for (uint256 i; i < actors.length; ++i) sum += token.balanceOf(actors[i]);
        assertEq(sum, token.totalSupply(), "supply leaked");
    }

    /// Locks plus the active slash reserve never exceed bonded stake: a verdict can always take the reserve
    /// and never needs stake locked for other tasks, whatever the node did meanwhile.
    function invariant_ReserveAndLocksCovered() public view {
        for (uint256 i; i < 7; ++i) {
            assertLe(market.encumberedOf(actors[i]), staking.stakeOf(actors[i]).staked, "locks + reserve > staked");
        }
    }
}

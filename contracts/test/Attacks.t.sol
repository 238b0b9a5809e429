// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {JuryCourt} from "../JuryCourt.sol";
import {MarketCore} from "../MarketCore.sol";
import {MarketParameters} from "../MarketParameters.sol";
import {NodeLedger} from "../NodeLedger.sol";
import {Staking} from "../Staking.sol";
import {TaskMarket} from "../TaskMarket.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";

/**
 * @notice One test per attack class of issue 17: each performs the attack and checks that it now fails the
 * attacker (reverts, or leaves the attacker worse off than playing honestly).
 */
contract AttacksTest is MarketFixture {
    address internal sybil = address(0x5B11);

    /// @dev Posts from `from` with `maxPrice` and `execWindow`, bids from `bidder` at `price`, assigns.
    function _assign(address from, address bidder, uint96 maxPrice, uint96 price, uint32 execWindow)
        internal
        returns (uint256 taskId)
    {
        MarketCore.PostTaskParams memory p = _spec(maxPrice);
        p.execWindow = execWindow;
        vm.prank(from);
        taskId = market.postTask(p);
        vm.prank(bidder);
        market.placeBid(taskId, price);
        vm.prank(from);
        market.assignTask(taskId, 0);
    }

    function _commit(uint256 taskId, address by) internal {
        vm.prank(by);
        market.commitResult(taskId, keccak256("receipt"), keccak256("output"), "", "");
    }

    function _guiltyVerdict(uint256 taskId) internal {
        address[] memory drawn = ext.jurorsOf(taskId);
        for (uint256 i; i < drawn.length; ++i) _vote(taskId, drawn[i], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        for (uint256 i; i < drawn.length; ++i) _reveal(taskId, drawn[i], true);
        ext.resolveChallenge(taskId);
    }

    // ------------------------------------------------------------ 1. escaping a slash

    /// A node with a bad commit moves its free stake to a sybil requester through a self-posted timeout.
    function test_Attack_SelfTimeoutEscapesSlash() public {
        uint256 bad = _committed(); // node: 1000 staked, reserve 500 while exposed, 8 locked
        _fund(sybil, 1_000e18);
        // the escape route is capped at stake above the reserve: bidding 600 reverts
        MarketCore.PostTaskParams memory p = _spec(600e18);
        vm.prank(sybil);
        uint256 s = market.postTask(p);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(NodeLedger.NodeLedgerInsufficientStake.selector, node, 492e18, 600e18));
        market.placeBid(s, 600e18);
        // it bids what is free, lets the task time out: the compensation only vests
        vm.prank(node);
        market.placeBid(s, 492e18);
        vm.prank(sybil);
        market.assignTask(s, 0);
        vm.warp(block.timestamp + 5 minutes + 1);
        market.timeoutTask(s);
        assertEq(market.owedOf(sybil), 600e18, "only the escrow is withdrawable now");
        assertEq(market.vestingOf(sybil).amount, 492e18, "compensation vests");
        assertEq(market.vestingOf(sybil).readyAt, block.timestamp + UNBONDING, "over the unbonding period");
        // the verdict still takes the reserve (50% of the stake at assignment)
        _challenge(bad, auditor, bytes32("s1"));
        uint256 treasuryBefore = market.owedOf(treasury);
        _guiltyVerdict(bad);
        uint96 slashed = 500e18;
        // treasury: slash - finder's fee (25%) - juror reward (20%) + the reward's rounding dust
        assertEq(market.owedOf(treasury) - treasuryBefore, slashed - slashed / 4 - slashed / 5 + 100e18 % 3, "treasury");
        assertEq(staking.stakeOf(node).staked, 1_000e18 - 492e18 - slashed, "reserve slashed in full");
    }

    /// Unbonding requested before a long task matures inside it; the node withdraws before the verdict.
    function test_Attack_UnbondMaturesInsideLongTask() public {
        vm.prank(node);
        staking.requestUnbond(400e18);
        uint256 taskId = _assign(requester, node, MAX_PRICE, PRICE, uint32(UNBONDING));
        vm.warp(block.timestamp + UNBONDING - 1);
        _commit(taskId, node);
        vm.warp(block.timestamp + 2); // unbond matured, challenge window open
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingWithdrawFrozen.selector, node));
        staking.withdrawUnbonded();
        _challenge(taskId, auditor, bytes32("s"));
        _guiltyVerdict(taskId);
        // reserve = 50% of (600 staked + 400 unbonding); unbonding is taken first
        assertEq(staking.stakeOf(node).unbonding, 0, "unbonding slashed");
        assertEq(staking.stakeOf(node).staked, 500e18, "rest from bonded stake");
    }

    // ------------------------------------------------------------ 2. choosing the jury

    /// The challenger tries to draw (and so preview) the jury in the block of its commitment.
    function test_Attack_ChallengerPreviewsJury() public {
        uint256 taskId = _committed();
        bytes32 secret = bytes32("secret");
        _commitChallenge(taskId, auditor, secret);
        vm.prank(auditor);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtInvalidSeed.selector, taskId));
        ext.challenge(taskId, bytes32(0), secret);
        // walking away from a disliked draw forfeits the bond to the node
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        ext.resolveChallenge(taskId);
        assertEq(market.owedOf(node), BOND, "bond to the frozen node");
        assertEq(uint8(market.taskOf(taskId).state), uint8(MarketCore.TaskState.Finalized));
    }

    /// The requester stakes to sit on the jury of a challenge against its own task.
    function test_Attack_RequesterOnOwnJury() public {
        _stake(requester, 1_000e18);
        for (uint256 i; i < 4; ++i) {
            uint256 taskId = _committed();
            _challenge(taskId, auditor, bytes32(i));
            address[] memory drawn = ext.jurorsOf(taskId);
            for (uint256 j; j < drawn.length; ++j) assertTrue(drawn[j] != requester, "requester drawn");
        }
    }

    /// Many minimum-stake sybils try to fill juries; seats follow stake, not head count.
    function test_Attack_SybilJurorsByHeadCount() public {
        for (uint256 i; i < 12; ++i) _stake(address(uint160(0x9000 + i)), MIN_STAKE);
        uint256 sybilSeats;
        uint256 seats;
        for (uint256 i; i < 10; ++i) {
            uint256 taskId = _committed();
            _challenge(taskId, auditor, keccak256(abi.encode(i)));
            address[] memory drawn = ext.jurorsOf(taskId);
            for (uint256 j; j < drawn.length; ++j) {
                ++seats;
                if (uint160(drawn[j]) >= 0x9000 && uint160(drawn[j]) < 0x9000 + 12) ++sybilSeats;
            }
        }
        // 12 of 15 eligible heads are sybils (80%); they hold 1200 of 4200 stake
        assertLe(sybilSeats * 2, seats, "sybils hold at most half the seats");
    }

    // ------------------------------------------------------------ 3. jury incentives

    /// A juror commits and never reveals, hoping to lose nothing.
    function test_Attack_JurorSkipsReveal() public {
        uint256 taskId = _challenged();
        address[] memory drawn = ext.jurorsOf(taskId);
        for (uint256 i; i < drawn.length; ++i) _vote(taskId, drawn[i], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        _reveal(taskId, drawn[0], true);
        _reveal(taskId, drawn[1], true);
        vm.warp(block.timestamp + VOTE_REVEAL + 1);
        uint96 before = staking.stakeOf(drawn[2]).staked;
        ext.resolveChallenge(taskId);
        assertEq(before - staking.stakeOf(drawn[2]).staked, 10e18, "penalty slashed");
        assertTrue(market.owedOf(drawn[0]) > market.owedOf(drawn[2]), "revealers paid more");
    }

    /// Guilty voters used to be paid nothing (only acquittals shared the bond).
    function test_Attack_GuiltyMajorityUnpaid() public {
        uint256 taskId = _challenged();
        address[] memory drawn = ext.jurorsOf(taskId);
        _guiltyVerdict(taskId);
        // slash 500, juror reward 20% = 100, split by 3 guilty voters
        for (uint256 i; i < drawn.length; ++i) assertEq(market.owedOf(drawn[i]), uint256(100e18) / 3);
    }

    /// A challenger gets a tie / no quorum for free while the node stays frozen.
    function test_Attack_NoQuorumFreeChallenge() public {
        uint256 taskId = _challenged();
        address[] memory drawn = ext.jurorsOf(taskId);
        _vote(taskId, drawn[0], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        _reveal(taskId, drawn[0], true);
        vm.warp(block.timestamp + VOTE_REVEAL + 1);
        ext.resolveChallenge(taskId);
        assertEq(market.owedOf(auditor), BOND - BOND / 5, "challenger loses 20% of the bond");
        assertEq(market.owedOf(node), BOND / 5, "to the frozen node");
    }

    // ------------------------------------------------------------ 4. squatting and farming

    /// Sybils fill every bid slot at the max price; a cheaper honest bid replaces the dearest.
    function test_Attack_BidSlotSquatting() public {
        uint256 taskId = _post();
        for (uint256 i; i < 4; ++i) {
            address s = address(uint160(0x9100 + i));
            _stake(s, MIN_STAKE);
            vm.prank(s);
            market.placeBid(taskId, MAX_PRICE);
        }
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        assertEq(market.bidsOf(taskId)[0].node, node, "cheaper bid took the dearest slot");
        assertEq(staking.freeStakeOf(address(0x9100)), MIN_STAKE, "replaced squatter unlocked");
    }

    /// 1-wei bids squat for free; now each locks the bid bond, which the requester takes on a timeout.
    function test_Attack_OneWeiSquatterPaysBond() public {
        _stake(sybil, MIN_STAKE);
        uint256 taskId = _assign(requester, sybil, MAX_PRICE, 1, 5 minutes);
        // bond (10% of max price) locked, not 1 wei; half the stake reserved while exposed
        assertEq(staking.freeStakeOf(sybil), MIN_STAKE - MAX_PRICE / 10 - MIN_STAKE / 2, "bond locked");
        vm.warp(block.timestamp + 5 minutes + 1);
        market.timeoutTask(taskId);
        assertEq(market.vestingOf(requester).amount, MAX_PRICE / 10, "requester compensated");
    }

    /// A requester bids on its own tasks, or farms reputation from one sybil requester.
    function test_Attack_SelfDealingReputation() public {
        _stake(requester, 1_000e18);
        uint256 taskId = _post();
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketSelfDealing.selector, taskId, requester));
        market.placeBid(taskId, PRICE);
        for (uint256 i; i < 3; ++i) {
            uint256 id = _committed();
            vm.warp(block.timestamp + CHALLENGE_WINDOW + 1);
            market.finalizeTask(id);
        }
        (uint32 completed,,,, uint16 requesters) = market.reputationOf(node);
        assertEq(completed, 3);
        assertEq(requesters, 1, "one distinct requester, whatever the count");
    }

    // ------------------------------------------------------------ 5. owner powers

    /// The owner raises the slash mid-dispute, and tries to take the slash by renouncing or receiving it.
    function test_Attack_OwnerChangesRulesMidDispute() public {
        uint256 taskId = _assign(requester, node, MAX_PRICE, PRICE, 3 days); // version 1
        MarketParameters.Parameters memory p = _params();
        p.slashBps = 10_000;
        p.finderFeeBps = 0;
        vm.prank(owner);
        ext.proposeParameters(p, owner);
        vm.expectRevert(
            abi.encodeWithSelector(MarketParameters.MarketTimelocked.selector, block.timestamp + 2 days)
        );
        ext.executeParameters();
        vm.warp(block.timestamp + 2 days);
        ext.executeParameters();
        assertEq(market.treasury(), owner, "new treasury");
        _commit(taskId, node);
        _challenge(taskId, auditor, bytes32("s"));
        _guiltyVerdict(taskId);
        // version 1 rules: 50% slash; its remainder went to the treasury of that time
        assertEq(staking.stakeOf(node).staked, 500e18, "slash of the task's version");
        assertEq(market.owedOf(owner), 0, "owner got nothing from an old task");
        assertTrue(market.owedOf(treasury) > 0, "old treasury paid");
        vm.prank(owner);
        vm.expectRevert(MarketParameters.MarketRenounceDisabled.selector);
        market.renounceOwnership();
        vm.prank(owner);
        vm.expectRevert(Staking.StakingRenounceDisabled.selector);
        staking.renounceOwnership();
        p.slashBps = 10_001;
        vm.prank(owner);
        vm.expectRevert();
        ext.proposeParameters(p, owner);
    }

    // ------------------------------------------------------------ 6. hygiene

    /// Unbounded strings in storage-free events still cost every indexer; they are capped.
    function test_Attack_OversizedStrings() public {
        MarketCore.PostTaskParams memory p = _spec(MAX_PRICE);
        p.inputURI = string(new bytes(2_049));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketPayloadTooLarge.selector, 2_049, 2_048));
        market.postTask(p);
        p = _spec(MAX_PRICE);
        p.samplingParams = new bytes(1_025);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketPayloadTooLarge.selector, 1_025, 1_024));
        market.postTask(p);
        uint256 taskId = _assigned();
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketPayloadTooLarge.selector, 2_049, 2_048));
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", string(new bytes(2_049)));
    }

    /// A verdict on one task eats the stake locked for another requester's task.
    function test_Attack_SlashTakesOthersLocks() public {
        address other = address(0x0BE2);
        _fund(other, 1_000e18);
        uint256 b = _assign(other, node, 400e18, 400e18, 30 minutes); // lock 400, reserve 500
        uint256 a = _committed(); // lock 8 more
        _challenge(a, auditor, bytes32("s"));
        _guiltyVerdict(a);
        assertEq(staking.stakeOf(node).staked, 500e18, "slashed 500");
        vm.warp(block.timestamp + 30 minutes);
        market.timeoutTask(b);
        assertEq(market.vestingOf(other).amount, 400e18, "other requester's lock intact");
    }

    /// A requester wants to dispute a bad result without running a node; a stranger may not.
    function test_Attack_RequesterDisputeWithoutStake() public {
        uint256 taskId = _committed();
        address stranger = address(0x5757);
        _fund(stranger, 1_000e18);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketNotStaked.selector, stranger, 0, MIN_STAKE));
        ext.commitChallenge(taskId, bytes32(0));
        _challenge(taskId, requester, bytes32("r"));
        _guiltyVerdict(taskId);
        assertEq(market.owedOf(requester), MAX_PRICE + BOND + 125e18, "escrow + bond + finder's fee");
    }
}

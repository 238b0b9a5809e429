// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {JuryCourt} from "../JuryCourt.sol";
import {Staking} from "../Staking.sol";
import {TaskMarket} from "../TaskMarket.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";

contract TaskMarketTest is MarketFixture {
    function test_HappyPath() public {
        uint256 taskId = _committed();
        TaskMarket.Task memory t = market.taskOf(taskId);
        assertEq(uint8(t.state), uint8(TaskMarket.TaskState.Committed));
        assertEq(market.requesterOf(taskId), requester, "requester in id");
        // window edge: at the deadline it is still open, one second later it finalizes
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketWindowOpen.selector, taskId, t.deadline));
        market.finalizeTask(taskId);
        vm.warp(t.deadline + 1);
        market.finalizeTask(taskId);
        assertEq(market.owedOf(node), PRICE);
        assertEq(market.owedOf(requester), MAX_PRICE - PRICE);
        (uint32 completed,,, uint96 earned) = market.reputationOf(node);
        assertEq(completed, 1);
        assertEq(earned, PRICE);
        vm.prank(node);
        market.withdraw();
        assertEq(token.balanceOf(node), PRICE);
        assertEq(staking.stakeOf(node).locked, 0);
    }

    function test_RevertWhen_PostInvalid() public {
        TaskMarket.PostTaskParams memory p = _spec(0);
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidPrice.selector, 0, 0));
        market.postTask(p);
        p = _spec(MAX_PRICE);
        p.bidDeadline = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidDeadline.selector, p.bidDeadline, p.execWindow));
        market.postTask(p);
        p = _spec(MAX_PRICE);
        p.execWindow = 59;
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidDeadline.selector, p.bidDeadline, 59));
        market.postTask(p);
        p = _spec(MAX_PRICE);
        p.input = new bytes(16_385);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketPayloadTooLarge.selector, 16_385, 16_384));
        market.postTask(p);
        vm.stopPrank();
    }

    function test_RevertWhen_BidInvalid() public {
        uint256 taskId = _post();
        vm.startPrank(node);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidPrice.selector, MAX_PRICE + 1, MAX_PRICE));
        market.placeBid(taskId, MAX_PRICE + 1);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidPrice.selector, 0, MAX_PRICE));
        market.placeBid(taskId, 0);
        market.placeBid(taskId, PRICE);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketDuplicateBid.selector, taskId, node));
        market.placeBid(taskId, PRICE);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidState.selector, 7, TaskMarket.TaskState.None));
        market.placeBid(7, PRICE);
        // a node below the minimum stake cannot bid
        address poor = address(0x4001);
        _stake(poor, 10e18);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingBelowMinimum.selector, poor, 10e18, MIN_STAKE));
        vm.prank(poor);
        market.placeBid(taskId, PRICE);
        // after the bid deadline
        vm.warp(block.timestamp + 10 minutes + 1);
        vm.expectRevert(
            abi.encodeWithSelector(TaskMarket.TaskMarketDeadlinePassed.selector, taskId, market.taskOf(taskId).deadline)
        );
        vm.prank(auditor);
        market.placeBid(taskId, PRICE);
    }

    function test_RevertWhen_TooManyBids() public {
        uint256 taskId = _post();
        for (uint256 i; i < 4; ++i) {
            address bidder = address(uint160(0x5000 + i));
            _stake(bidder, 200e18);
            vm.prank(bidder);
            market.placeBid(taskId, PRICE);
        }
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketTooManyBids.selector, taskId, 4));
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        // assignment releases every losing bid
        vm.prank(requester);
        market.assignTask(taskId, 2);
        assertEq(staking.stakeOf(address(0x5000)).locked, 0);
        assertEq(staking.stakeOf(address(0x5002)).locked, PRICE);
    }

    function test_RevertWhen_AssignInvalid() public {
        uint256 taskId = _post();
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        market.assignTask(taskId, 0);
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidBid.selector, taskId, 1));
        market.assignTask(taskId, 1);
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketDeadlinePassed.selector, taskId, deadline));
        market.assignTask(taskId, 0);
        vm.stopPrank();
    }

    function test_CancelReleasesBids() public {
        uint256 taskId = _post();
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        market.cancelTask(taskId);
        // anyone may cancel once the bid deadline passed
        vm.warp(market.taskOf(taskId).deadline + 1);
        vm.prank(node);
        market.cancelTask(taskId);
        assertEq(staking.stakeOf(node).locked, 0);
        assertEq(market.owedOf(requester), MAX_PRICE);
        vm.expectRevert(
            abi.encodeWithSelector(TaskMarket.TaskMarketInvalidState.selector, taskId, TaskMarket.TaskState.Cancelled)
        );
        market.cancelTask(taskId);
    }

    function test_RevertWhen_CommitInvalid() public {
        uint256 taskId = _assigned();
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketUnauthorized.selector, taskId, auditor));
        vm.prank(auditor);
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", "");
        vm.startPrank(node);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidReceipt.selector, taskId));
        market.commitResult(taskId, bytes32(0), keccak256("o"), "", "");
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketPayloadTooLarge.selector, 16_385, 16_384));
        market.commitResult(taskId, keccak256("r"), keccak256("o"), new bytes(16_385), "");
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketDeadlinePassed.selector, taskId, deadline));
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", "");
        vm.stopPrank();
    }

    function test_TimeoutSlashesBidLock() public {
        uint256 taskId = _assigned();
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketWindowOpen.selector, taskId, deadline));
        market.timeoutTask(taskId);
        vm.warp(deadline + 1);
        market.timeoutTask(taskId);
        assertEq(market.owedOf(requester), MAX_PRICE + PRICE);
        assertEq(staking.stakeOf(node).staked, 1_000e18 - PRICE);
        (, uint16 timedOut,,) = market.reputationOf(node);
        assertEq(timedOut, 1);
    }

    function test_RevertWhen_ChallengeInvalid() public {
        uint256 taskId = _committed();
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        market.challenge(taskId, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketNotStaked.selector, requester, 0, MIN_STAKE));
        vm.prank(requester);
        market.challenge(taskId, bytes32(0));
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketDeadlinePassed.selector, taskId, deadline));
        vm.prank(auditor);
        market.challenge(taskId, bytes32(0));
    }

    function test_RevertWhen_NotEnoughJurors() public {
        TaskMarket.Parameters memory p = _params();
        p.jurySize = 5;
        vm.prank(owner);
        market.setParameters(p);
        uint256 taskId = _committed();
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtNotEnoughJurors.selector, 3, 5));
        vm.prank(auditor);
        market.challenge(taskId, bytes32(0));
    }

    function test_ChallengeSlashesGuiltyNodeIncludingUnbonding() public {
        // the node moves most of its free stake to unbonding right after committing
        uint256 taskId = _committed();
        vm.prank(node);
        staking.requestUnbond(900e18);
        vm.prank(auditor);
        market.challenge(taskId, keccak256("evidence"));
        address[] memory drawn = market.jurorsOf(taskId);
        assertEq(drawn.length, 3);
        for (uint256 i; i < 3; ++i) _vote(taskId, drawn[i], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        for (uint256 i; i < 3; ++i) _reveal(taskId, drawn[i], true);
        market.resolveChallenge(taskId);
        // 50% of (100 bonded + 900 unbonding) = 500, taken from bonded first then unbonding
        Staking.NodeStake memory s = staking.stakeOf(node);
        assertEq(uint256(s.staked) + s.unbonding, 500e18);
        assertEq(market.owedOf(auditor), BOND + 125e18);
        assertEq(market.owedOf(owner), 375e18);
        assertEq(market.owedOf(requester), MAX_PRICE);
        assertEq(uint8(market.taskOf(taskId).state), uint8(TaskMarket.TaskState.Slashed));
    }

    function test_ChallengeLostSharesBondWithMajority() public {
        uint256 taskId = _challenged();
        address[] memory drawn = market.jurorsOf(taskId);
        _vote(taskId, drawn[0], false);
        _vote(taskId, drawn[1], false);
        _vote(taskId, drawn[2], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        _reveal(taskId, drawn[0], false);
        _reveal(taskId, drawn[1], false);
        _reveal(taskId, drawn[2], true);
        market.resolveChallenge(taskId); // every juror revealed: no need to wait for the deadline
        assertEq(market.owedOf(drawn[0]), BOND / 2);
        assertEq(market.owedOf(drawn[2]), 0);
        assertEq(market.owedOf(node), PRICE);
        assertEq(uint8(market.taskOf(taskId).state), uint8(TaskMarket.TaskState.Finalized));
    }

    function test_ChallengeUndecidedWithoutReveals() public {
        uint256 taskId = _challenged();
        JuryCourt.Challenge memory c = market.challengeOf(taskId);
        vm.warp(c.revealDeadline);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtVotingOpen.selector, taskId, c.revealDeadline));
        market.resolveChallenge(taskId);
        vm.warp(c.revealDeadline + 1);
        market.resolveChallenge(taskId);
        assertEq(market.owedOf(auditor), BOND);
        assertEq(market.owedOf(node), PRICE);
        assertEq(staking.stakeOf(node).disputes, 0);
    }

    function test_RevertWhen_VoteInvalid() public {
        uint256 taskId = _challenged();
        address[] memory drawn = market.jurorsOf(taskId);
        JuryCourt.Challenge memory c = market.challengeOf(taskId);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtNotJuror.selector, taskId, requester));
        vm.prank(requester);
        market.commitVote(taskId, bytes32(uint256(1)));
        _vote(taskId, drawn[0], true);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtCommitClosed.selector, taskId, c.commitDeadline));
        vm.prank(drawn[0]);
        market.commitVote(taskId, bytes32(uint256(1)));
        // reveal before the commit phase ends
        vm.expectRevert(
            abi.encodeWithSelector(JuryCourt.JuryCourtRevealClosed.selector, taskId, c.commitDeadline, c.revealDeadline)
        );
        _reveal(taskId, drawn[0], true);
        vm.warp(c.commitDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtCommitClosed.selector, taskId, c.commitDeadline));
        vm.prank(drawn[1]);
        market.commitVote(taskId, bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtInvalidReveal.selector, taskId, drawn[0]));
        _reveal(taskId, drawn[0], false);
        _reveal(taskId, drawn[0], true);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtInvalidReveal.selector, taskId, drawn[0]));
        _reveal(taskId, drawn[0], true);
        vm.warp(c.revealDeadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(JuryCourt.JuryCourtRevealClosed.selector, taskId, c.commitDeadline, c.revealDeadline)
        );
        _reveal(taskId, drawn[1], true);
    }

    function test_RevertWhen_NothingOwed() public {
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketNothingOwed.selector, address(this)));
        market.withdraw();
    }

    function test_RevertWhen_InvalidParameters() public {
        TaskMarket.Parameters memory p = _params();
        p.jurySize = 2; // must be odd
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidParameters.selector, p));
        vm.prank(owner);
        market.setParameters(p);
        p = _params();
        p.challengeWindow = UNBONDING; // dispute span must stay below the unbonding period
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidParameters.selector, p));
        vm.prank(owner);
        market.setParameters(p);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        market.setParameters(_params());
    }

    /// Any price in (0, maxPrice] settles to exactly price + refund = escrow.
    function testFuzz_SettlementConservesEscrow(uint96 maxPrice, uint96 price) public {
        maxPrice = uint96(bound(maxPrice, 1, 500e18));
        price = uint96(bound(price, 1, maxPrice));
        _fund(requester, maxPrice);
        vm.prank(requester);
        uint256 taskId = market.postTask(_spec(maxPrice));
        vm.prank(node);
        market.placeBid(taskId, price);
        vm.prank(requester);
        market.assignTask(taskId, 0);
        vm.prank(node);
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", "");
        vm.warp(block.timestamp + CHALLENGE_WINDOW + 1);
        market.finalizeTask(taskId);
        assertEq(market.owedOf(node) + market.owedOf(requester), maxPrice, "escrow split");
        assertEq(token.balanceOf(address(market)), maxPrice, "market holds what it owes");
    }
}

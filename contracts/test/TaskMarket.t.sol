// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {JuryCourt} from "../JuryCourt.sol";
import {MarketCore} from "../MarketCore.sol";
import {MarketParameters} from "../MarketParameters.sol";
import {NodeLedger} from "../NodeLedger.sol";
import {Staking} from "../Staking.sol";
import {TaskMarket} from "../TaskMarket.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";

contract TaskMarketTest is MarketFixture {
    function test_HappyPath() public {
        uint256 taskId = _committed();
        TaskMarket.Task memory t = market.taskOf(taskId);
        assertEq(uint8(t.state), uint8(MarketCore.TaskState.Committed));
        assertEq(market.requesterOf(taskId), requester, "requester in id");
        // window edge: at the deadline it is still open, one second later it finalizes
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketWindowOpen.selector, taskId, t.deadline));
        market.finalizeTask(taskId);
        vm.warp(t.deadline + 1);
        uint256 requesterBefore = token.balanceOf(requester);
        market.finalizeTask(taskId);
        // paid and refunded in the finalize call: nothing left to withdraw
        assertEq(token.balanceOf(node), PRICE);
        assertEq(token.balanceOf(requester) - requesterBefore, MAX_PRICE - PRICE);
        assertEq(market.owedOf(node), 0);
        (uint32 completed,,, uint96 earned, uint16 requesters) = market.reputationOf(node);
        assertEq(completed, 1);
        assertEq(earned, PRICE);
        assertEq(requesters, 1);
        assertEq(market.nodeStateOf(node).locked, 0);
    }

    function test_RevertWhen_PostInvalid() public {
        MarketCore.PostTaskParams memory p = _spec(0);
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
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketPayloadTooLarge.selector, 16_385, 16_384));
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
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketInvalidState.selector, 7, MarketCore.TaskState.None));
        market.placeBid(7, PRICE);
        // a node below the minimum stake cannot bid
        address poor = address(0x4001);
        _stake(poor, 10e18);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketNotStaked.selector, poor, 10e18, MIN_STAKE));
        vm.prank(poor);
        market.placeBid(taskId, PRICE);
        // after the bid deadline
        vm.warp(block.timestamp + 10 minutes + 1);
        vm.expectRevert(
            abi.encodeWithSelector(MarketCore.TaskMarketDeadlinePassed.selector, taskId, market.taskOf(taskId).deadline)
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
        // full: only a cheaper bid gets in
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketTooManyBids.selector, taskId, 4));
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        // assignment releases every losing bid
        vm.prank(requester);
        market.assignTask(taskId, 2);
        assertEq(market.nodeStateOf(address(0x5000)).locked, 0);
        assertEq(market.nodeStateOf(address(0x5002)).locked, PRICE);
    }

    function test_RevertWhen_AssignInvalid() public {
        uint256 taskId = _post();
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        market.assignTask(taskId, 0);
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidBid.selector, taskId, 1));
        market.assignTask(taskId, 1);
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketDeadlinePassed.selector, taskId, deadline));
        market.assignTask(taskId, 0);
        vm.stopPrank();
    }

    function test_CancelReleasesBids() public {
        uint256 taskId = _post();
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        market.cancelTask(taskId);
        // anyone may cancel once the bid deadline passed
        vm.warp(market.taskOf(taskId).deadline + 1);
        vm.prank(node);
        market.cancelTask(taskId);
        assertEq(market.nodeStateOf(node).locked, 0);
        assertEq(market.owedOf(requester), MAX_PRICE);
        vm.expectRevert(
            abi.encodeWithSelector(MarketCore.TaskMarketInvalidState.selector, taskId, MarketCore.TaskState.Cancelled)
        );
        market.cancelTask(taskId);
    }

    function test_RevertWhen_CommitInvalid() public {
        uint256 taskId = _assigned();
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketUnauthorized.selector, taskId, auditor));
        vm.prank(auditor);
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", "");
        vm.startPrank(node);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketInvalidReceipt.selector, taskId));
        market.commitResult(taskId, bytes32(0), keccak256("o"), "", "");
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketPayloadTooLarge.selector, 16_385, 16_384));
        market.commitResult(taskId, keccak256("r"), keccak256("o"), new bytes(16_385), "");
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketDeadlinePassed.selector, taskId, deadline));
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", "");
        vm.stopPrank();
    }

    function test_TimeoutSlashesBidLock() public {
        uint256 taskId = _assigned();
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketWindowOpen.selector, taskId, deadline));
        market.timeoutTask(taskId);
        vm.warp(deadline + 1);
        market.timeoutTask(taskId);
        assertEq(market.owedOf(requester), MAX_PRICE, "escrow now");
        assertEq(market.vestingOf(requester).amount, PRICE, "bid lock vests");
        vm.warp(block.timestamp + UNBONDING);
        assertEq(market.owedOf(requester), MAX_PRICE + PRICE, "after the unbonding period");
        assertEq(staking.stakeOf(node).staked, 1_000e18 - PRICE);
        (, uint16 timedOut,,,) = market.reputationOf(node);
        assertEq(timedOut, 1);
    }

    function test_RevertWhen_ChallengeInvalid() public {
        uint256 taskId = _committed();
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        ext.commitChallenge(taskId, bytes32(0));
        uint64 deadline = market.taskOf(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketDeadlinePassed.selector, taskId, deadline));
        vm.prank(auditor);
        ext.commitChallenge(taskId, bytes32(0));
        // only the challenger reveals, with the committed secret
        vm.warp(deadline);
        _commitChallenge(taskId, auditor, bytes32("s"));
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        ext.challenge(taskId, bytes32(0), bytes32("s"));
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtInvalidSeed.selector, taskId));
        vm.prank(auditor);
        ext.challenge(taskId, bytes32(0), bytes32("other"));
    }

    function test_RevertWhen_NotEnoughJurors() public {
        MarketParameters.Parameters memory p = _params();
        p.jurySize = 5;
        vm.prank(owner);
        ext.proposeParameters(p, treasury);
        vm.warp(block.timestamp + 2 days);
        ext.executeParameters();
        uint256 taskId = _committed();
        _commitChallenge(taskId, auditor, bytes32("s"));
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtNotEnoughJurors.selector, 3, 5));
        vm.prank(auditor);
        ext.challenge(taskId, bytes32(0), bytes32("s"));
    }

    function test_ChallengeSlashesGuiltyNodeIncludingUnbonding() public {
        // the node moves its free stake to unbonding right after committing (the reserve stays bonded)
        uint256 taskId = _committed();
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInsufficientStake.selector, node, 492e18, 900e18));
        vm.prank(node);
        staking.requestUnbond(900e18);
        vm.prank(node);
        staking.requestUnbond(492e18);
        _challenge(taskId, auditor, bytes32("s"));
        address[] memory drawn = ext.jurorsOf(taskId);
        assertEq(drawn.length, 3);
        for (uint256 i; i < 3; ++i) _vote(taskId, drawn[i], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        for (uint256 i; i < 3; ++i) _reveal(taskId, drawn[i], true);
        ext.resolveChallenge(taskId);
        // 50% of (508 bonded + 492 unbonding) = 500, taken from unbonding first, then bonded
        Staking.NodeStake memory s = staking.stakeOf(node);
        assertEq(s.unbonding, 0);
        assertEq(s.staked, 500e18);
        assertEq(market.owedOf(auditor), BOND + 125e18);
        assertEq(market.owedOf(owner), 0, "slashes go to the treasury");
        assertEq(market.owedOf(treasury), 275e18 + 100e18 % 3);
        assertEq(market.owedOf(requester), MAX_PRICE);
        assertEq(uint8(market.taskOf(taskId).state), uint8(MarketCore.TaskState.Slashed));
    }

    function test_ChallengeLostSharesBondWithMajority() public {
        uint256 taskId = _challenged();
        address[] memory drawn = ext.jurorsOf(taskId);
        _vote(taskId, drawn[0], false);
        _vote(taskId, drawn[1], false);
        _vote(taskId, drawn[2], true);
        vm.warp(block.timestamp + VOTE_COMMIT + 1);
        _reveal(taskId, drawn[0], false);
        _reveal(taskId, drawn[1], false);
        _reveal(taskId, drawn[2], true);
        ext.resolveChallenge(taskId); // every juror revealed: no need to wait for the deadline
        assertEq(market.owedOf(drawn[0]), BOND / 2);
        assertEq(market.owedOf(drawn[2]), 0);
        assertEq(token.balanceOf(node), PRICE, "node paid in the resolution");
        assertEq(uint8(market.taskOf(taskId).state), uint8(MarketCore.TaskState.Finalized));
    }

    function test_ChallengeUndecidedWithoutReveals() public {
        uint256 taskId = _challenged();
        JuryCourt.Challenge memory c = ext.challengeOf(taskId);
        vm.warp(c.revealDeadline);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtVotingOpen.selector, taskId, c.revealDeadline));
        ext.resolveChallenge(taskId);
        vm.warp(c.revealDeadline + 1);
        ext.resolveChallenge(taskId);
        // no quorum: the challenger loses 20% of the bond to the node; absent jurors pay the treasury
        assertEq(market.owedOf(auditor), BOND - BOND / 5);
        assertEq(market.owedOf(node), BOND / 5);
        assertEq(market.owedOf(treasury), 30e18);
        assertEq(token.balanceOf(node), PRICE);
        assertEq(market.nodeStateOf(node).disputes, 0);
    }

    function test_RevertWhen_VoteInvalid() public {
        uint256 taskId = _challenged();
        address[] memory drawn = ext.jurorsOf(taskId);
        JuryCourt.Challenge memory c = ext.challengeOf(taskId);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtNotJuror.selector, taskId, requester));
        vm.prank(requester);
        ext.commitVote(taskId, bytes32(uint256(1)));
        _vote(taskId, drawn[0], true);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtCommitClosed.selector, taskId, c.commitDeadline));
        vm.prank(drawn[0]);
        ext.commitVote(taskId, bytes32(uint256(1)));
        // reveal before the commit phase ends
        vm.expectRevert(
            abi.encodeWithSelector(JuryCourt.JuryCourtRevealClosed.selector, taskId, c.commitDeadline, c.revealDeadline)
        );
        _reveal(taskId, drawn[0], true);
        vm.warp(c.commitDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(JuryCourt.JuryCourtCommitClosed.selector, taskId, c.commitDeadline));
        vm.prank(drawn[1]);
        ext.commitVote(taskId, bytes32(uint256(1)));
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
        MarketParameters.Parameters memory p = _params();
        p.jurySize = 2; // must be odd
        vm.expectRevert(abi.encodeWithSelector(MarketParameters.MarketInvalidParameters.selector, p));
        vm.prank(owner);
        ext.proposeParameters(p, treasury);
        p = _params();
        p.challengeWindow = UNBONDING; // dispute span must stay below the unbonding period
        vm.expectRevert(abi.encodeWithSelector(MarketParameters.MarketInvalidParameters.selector, p));
        vm.prank(owner);
        ext.proposeParameters(p, treasury);
        vm.expectRevert(abi.encodeWithSelector(MarketParameters.MarketInvalidTreasury.selector, address(0)));
        vm.prank(owner);
        ext.proposeParameters(_params(), address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        ext.proposeParameters(_params(), treasury);
    }

    function test_SignedBidAssignsAndLocksAtAssignment() public {
        uint256 key = 0xB0B;
        address signer = vm.addr(key);
        _stake(signer, 1_000e18);
        uint256 taskId = _post();
        uint64 expiry = uint64(block.timestamp + 5 minutes);
        (uint8 v, bytes32 r, bytes32 sg) = vm.sign(key, market.bidDigest(taskId, PRICE, expiry));
        bytes memory sig = abi.encodePacked(r, sg, v);
        // only the requester may submit it, at the signed price
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketUnauthorized.selector, taskId, node));
        vm.prank(node);
        market.assignSignedBid(taskId, PRICE, expiry, sig);
        vm.prank(requester);
        market.assignSignedBid(taskId, PRICE, expiry, sig);
        (address assigned, uint96 price) = market.assignmentOf(taskId);
        assertEq(assigned, signer, "signer assigned");
        assertEq(price, PRICE);
        assertEq(market.nodeStateOf(signer).locked, PRICE, "locked at assignment");
        // a tampered price recovers another signer, who holds no stake
        uint256 other = _post();
        (v, r, sg) = vm.sign(key, market.bidDigest(other, PRICE, expiry));
        vm.prank(requester);
        vm.expectRevert();
        market.assignSignedBid(other, PRICE - 1, expiry, abi.encodePacked(r, sg, v));
        vm.warp(expiry + 1);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketBidExpired.selector, other, expiry));
        market.assignSignedBid(other, PRICE, expiry, abi.encodePacked(r, sg, v));
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
        uint256 before = token.balanceOf(node) + token.balanceOf(requester);
        market.finalizeTask(taskId);
        assertEq(token.balanceOf(node) + token.balanceOf(requester) - before, maxPrice, "escrow split");
        assertEq(token.balanceOf(address(market)), 0, "market keeps nothing");
    }

    function test_PostTaskWithQuoteAssignsInOneCall() public {
        uint256 key = 0xB0B;
        address signer = vm.addr(key);
        _stake(signer, 1_000e18);
        MarketCore.PostTaskParams memory p = _spec(PRICE); // escrow = the quoted price
        uint64 expiry = uint64(block.timestamp + 5 minutes);
        (uint8 v, bytes32 r, bytes32 sg) = vm.sign(key, market.quoteDigest(requester, p, expiry));
        bytes memory sig = abi.encodePacked(r, sg, v);
        uint256 before = token.balanceOf(requester);
        vm.prank(requester);
        uint256 taskId = market.postTaskWithQuote(p, expiry, sig);
        assertEq(market.requesterOf(taskId), requester, "requester in id");
        assertEq(uint8(market.taskOf(taskId).state), uint8(MarketCore.TaskState.Assigned));
        (address assigned, uint96 price) = market.assignmentOf(taskId);
        assertEq(assigned, signer, "quoting node assigned");
        assertEq(price, PRICE);
        assertEq(before - token.balanceOf(requester), PRICE, "escrow is the price");
        // a quote is used once; another requester cannot reuse it
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(TaskMarket.TaskMarketQuoteUsed.selector, taskId));
        market.postTaskWithQuote(p, expiry, sig);
        vm.prank(auditor);
        vm.expectRevert();
        market.postTaskWithQuote(p, expiry, sig); // recovers another, unstaked signer
        // the quoting node commits and is paid as usual
        vm.prank(signer);
        market.commitResult(taskId, keccak256("r"), keccak256("o"), "", "");
        vm.warp(block.timestamp + CHALLENGE_WINDOW + 1);
        market.finalizeTask(taskId);
        assertEq(token.balanceOf(signer), PRICE);
    }
}

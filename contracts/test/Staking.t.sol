// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MarketCore} from "../MarketCore.sol";
import {NodeLedger} from "../NodeLedger.sol";
import {Staking} from "../Staking.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";

contract StakingTest is MarketFixture {
    address internal alice = address(0x3001);

    function test_StakeUnbondWithdraw() public {
        _stake(alice, 300e18);
        assertTrue(staking.isActive(alice), "active");
        vm.prank(alice);
        staking.requestUnbond(250e18);
        assertTrue(!staking.isActive(alice), "left the pool below the minimum");
        Staking.NodeStake memory s = staking.stakeOf(alice);
        assertEq(s.staked, 50e18);
        assertEq(s.unbonding, 250e18);
        // window edge: one second early reverts, exactly at readyAt works
        vm.warp(s.unbondReadyAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(Staking.StakingUnbondNotReady.selector, alice, 250e18, s.unbondReadyAt)
        );
        vm.prank(alice);
        staking.withdrawUnbonded();
        vm.warp(s.unbondReadyAt);
        vm.prank(alice);
        staking.withdrawUnbonded();
        assertEq(token.balanceOf(alice), 250e18);
    }

    function test_RevertWhen_StakeZero() public {
        vm.expectRevert(Staking.StakingZeroAmount.selector);
        staking.stake(0);
        vm.expectRevert(Staking.StakingZeroAmount.selector);
        staking.requestUnbond(0);
    }

    function test_RevertWhen_UnbondMoreThanFree() public {
        uint256 taskId = _post();
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        uint256 free = 1_000e18 - PRICE; // a bid locks max(price, 10% of the max price)
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInsufficientStake.selector, node, free, 1_000e18));
        vm.prank(node);
        staking.requestUnbond(1_000e18);
    }

    function test_RevertWhen_WithdrawNothing() public {
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingUnbondNotReady.selector, alice, 0, 0));
        vm.prank(alice);
        staking.withdrawUnbonded();
    }

    function test_RevertWhen_WithdrawWhileChallenged() public {
        vm.prank(node);
        staking.requestUnbond(400e18); // an assignment still needs locks + reserve (50%) <= bonded
        _challenged();
        vm.warp(block.timestamp + UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingWithdrawFrozen.selector, node));
        vm.prank(node);
        staking.withdrawUnbonded();
    }

    function test_RevertWhen_HooksNotFromMarket() public {
        bytes memory err = abi.encodeWithSelector(Staking.StakingUnauthorized.selector, address(this));
        vm.expectRevert(err);
        staking.slash(node, 1, address(this));
    }

    function test_RevertWhen_BidBelowMinimum() public {
        _stake(alice, 50e18);
        uint256 taskId = _post();
        vm.expectRevert(abi.encodeWithSelector(MarketCore.TaskMarketNotStaked.selector, alice, 50e18, MIN_STAKE));
        vm.prank(alice);
        market.placeBid(taskId, 1);
    }

    function test_JoinedPoolOnceAndActiveSince() public {
        uint256 size = staking.poolSize();
        _stake(alice, 300e18);
        assertEq(staking.poolSize(), size + 1, "joined");
        assertEq(staking.activeSince(alice), block.timestamp, "active since now");
        vm.prank(alice);
        staking.requestUnbond(250e18);
        assertEq(staking.activeSince(alice), 0, "inactive below the minimum");
        vm.warp(block.timestamp + 1);
        _stake(alice, 250e18);
        assertEq(staking.poolSize(), size + 1, "the pool is append-only");
        assertEq(staking.activeSince(alice), block.timestamp, "age restarts");
    }

    function test_RevertWhen_SetMarketTwiceOrZero() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInvalidMarket.selector, address(1)));
        staking.setMarket(address(1));
        Staking fresh = new Staking(token, owner, MIN_STAKE, UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInvalidMarket.selector, address(0)));
        fresh.setMarket(address(0));
        vm.stopPrank();
    }

    function test_SetParametersWithinBounds() public {
        vm.prank(owner);
        staking.setParameters(200e18, 3 hours);
        assertEq(staking.minStake(), 200e18);
        assertEq(staking.unbondingPeriod(), 3 hours);
    }

    function test_RevertWhen_SetParametersOutOfBounds() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInvalidParameters.selector, 0, UNBONDING));
        staking.setParameters(0, UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInvalidParameters.selector, MIN_STAKE, 1));
        staking.setParameters(MIN_STAKE, 1);
        // must stay longer than the market's dispute span (20 minutes here)
        vm.expectRevert(abi.encodeWithSelector(Staking.StakingInvalidParameters.selector, MIN_STAKE, 20 minutes));
        staking.setParameters(MIN_STAKE, 20 minutes);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        staking.setParameters(MIN_STAKE, UNBONDING);
    }

    function test_SlashReachesUnbondingStake() public {
        vm.prank(node);
        staking.requestUnbond(900e18);
        vm.prank(address(market));
        uint96 slashed = staking.slash(node, 950e18, address(market));
        assertEq(slashed, 950e18);
        // unbonding goes first, so bonded stake backing locks is the last to go
        Staking.NodeStake memory s = staking.stakeOf(node);
        assertEq(s.unbonding, 0);
        assertEq(s.staked, 50e18);
    }

    /// forge-style fuzz: a slash never exceeds bonded + unbonding stake, whatever the split.
    function testFuzz_SlashNeverExceedsStake(uint96 stakeAmount, uint96 unbond, uint96 amount) public {
        stakeAmount = uint96(bound(stakeAmount, 1, 1e27));
        unbond = uint96(bound(unbond, 0, stakeAmount));
        _stake(alice, stakeAmount);
        if (unbond > 0) {
            vm.prank(alice);
            staking.requestUnbond(unbond);
        }
        uint256 before = token.balanceOf(address(staking));
        vm.prank(address(market));
        uint96 slashed = staking.slash(alice, amount, address(this));
        assertLe(slashed, stakeAmount, "slash above stake");
        assertEq(slashed, amount < stakeAmount ? amount : stakeAmount, "slash amount");
        assertEq(before - token.balanceOf(address(staking)), slashed, "tokens moved");
        Staking.NodeStake memory s = staking.stakeOf(alice);
        assertEq(uint256(s.staked) + s.unbonding, stakeAmount - slashed, "remaining stake");
    }
}

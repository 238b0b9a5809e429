// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Staking} from "../Staking.sol";
import {MarketCore} from "../MarketCore.sol";
import {TaskMarket} from "../TaskMarket.sol";
import {MarketFixture} from "./utils/MarketFixture.sol";

/// @notice An ERC-20 that calls back the recipient on every transfer (like ERC-777 hooks).
contract HookToken is ERC20 {
    constructor() ERC20("Hook", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (to.code.length > 0) {
            // best effort: plain contracts without the hook just ignore it
            (bool ok,) = to.call(abi.encodeWithSignature("onTokenReceived(address,uint256)", from, value));
            ok;
        }
    }
}

/// @notice Tries to withdraw twice by re-entering from the token hook.
contract Attacker {
    TaskMarket internal market;
    Staking internal staking;
    uint256 public reentries;
    uint256 public reentriesBlocked;
    bool internal _armed;

    constructor(TaskMarket market_, Staking staking_) {
        market = market_;
        staking = staking_;
    }

    function post(MarketCore.PostTaskParams calldata p, IERC20 token) external returns (uint256 id) {
        token.approve(address(market), type(uint256).max);
        token.approve(address(staking), type(uint256).max);
        id = market.postTask(p);
    }

    function cancel(uint256 id) external {
        market.cancelTask(id);
    }

    function attackMarket() external {
        _armed = true;
        market.withdraw();
        _armed = false;
    }

    function stakeAndUnbond(uint96 amount) external {
        staking.stake(amount);
        staking.requestUnbond(amount);
    }

    function attackStaking() external {
        _armed = true;
        staking.withdrawUnbonded();
        _armed = false;
    }

    function onTokenReceived(address, uint256) external {
        if (!_armed) return;
        _armed = false; // one nested attempt per attack
        ++reentries;
        try market.withdraw() {} catch {
            ++reentriesBlocked;
        }
        try staking.withdrawUnbonded() {} catch {
            ++reentriesBlocked;
        }
    }
}

contract ReentrancyTest is MarketFixture {
    HookToken internal hook;
    Attacker internal attacker;

    function setUp() public override {
        vm.warp(1_700_000_000);
        hook = new HookToken();
        _deploy(IERC20(address(hook)));
        attacker = new Attacker(market, staking);
        hook.mint(address(attacker), 100e18);
    }

    function test_WithdrawCannotBeReentered() public {
        MarketCore.PostTaskParams memory p = _spec(MAX_PRICE);
        uint256 id = attacker.post(p, IERC20(address(hook)));
        attacker.cancel(id);
        assertEq(market.owedOf(address(attacker)), MAX_PRICE);
        attacker.attackMarket();
        assertEq(attacker.reentries(), 1);
        assertEq(attacker.reentriesBlocked(), 2, "both nested withdrawals reverted");
        assertEq(hook.balanceOf(address(attacker)), 100e18, "got its refund exactly once");
        assertEq(hook.balanceOf(address(market)), 0);
    }

    function test_WithdrawUnbondedCannotBeReentered() public {
        MarketCore.PostTaskParams memory p = _spec(MAX_PRICE);
        attacker.post(p, IERC20(address(hook))); // sets the approvals; 10 left in escrow
        attacker.stakeAndUnbond(60e18);
        vm.warp(block.timestamp + UNBONDING);
        attacker.attackStaking();
        assertEq(attacker.reentriesBlocked(), 2, "both nested withdrawals reverted");
        assertEq(hook.balanceOf(address(attacker)), 90e18, "unbonded stake paid exactly once");
        assertEq(hook.balanceOf(address(staking)), 0);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @notice The part of the market that {Staking} asks about when its own parameters change.
interface IDisputeSpan {
    /// @notice Longest time from a commit to the end of its dispute (challenge window + vote windows).
    function disputeSpan() external view returns (uint256);
}

/**
 * @title Staking
 * @notice Node operators stake $POCKET here. The task market locks stake for open bids and assignments,
 * freezes withdrawals while a node is challenged, and slashes; slashing reaches stake that is unbonding.
 * @dev One pending unbond per node: a new request adds to it and restarts the timer. The unbonding period
 * must exceed the market's dispute span (challenge window + vote windows), checked both ways.
 * "Active" nodes (stake >= minimum at their last stake change) form the juror pool.
 */
contract Staking is Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice Bounds of the owner-settable parameters.
    uint256 public constant MIN_UNBONDING_PERIOD = 10 minutes;
    uint256 public constant MAX_UNBONDING_PERIOD = 90 days;
    uint256 public constant MAX_MIN_STAKE = 1e27;

    struct NodeStake {
        uint96 staked; // bonded, slashable, can back locks
        uint96 locked; // part of `staked` held by open bids and assignments (may exceed `staked` after a slash)
        uint64 unbondReadyAt; // when `unbonding` can be withdrawn
        uint96 unbonding; // requested out, still slashable
        uint32 disputes; // open challenges against the node; withdrawals wait for zero
    }

    IERC20 private immutable _token;
    address private _market;
    uint96 private _minStake;
    uint64 private _unbondingPeriod;
    mapping(address node => NodeStake) private _stakes;
    EnumerableSet.AddressSet private _active;

    /// @notice Emitted when `node` adds `amount`; `staked` is its new bonded total.
    event Staked(address indexed node, uint256 amount, uint256 staked);
    /// @notice Emitted when `node` moves `amount` to unbonding; all of `unbonding` is withdrawable at `readyAt`.
    event UnbondRequested(address indexed node, uint256 amount, uint256 unbonding, uint64 readyAt);
    /// @notice Emitted when `node` withdraws its unbonded `amount`.
    event UnbondWithdrawn(address indexed node, uint256 amount);
    /// @notice Emitted when the market locks `amount` of `node`'s stake; `locked` is the new total.
    event StakeLocked(address indexed node, uint256 amount, uint256 locked);
    /// @notice Emitted when the market releases `amount` of `node`'s locked stake.
    event StakeUnlocked(address indexed node, uint256 amount, uint256 locked);
    /// @notice Emitted when `amount` of `node`'s stake (`fromUnbonding` of it from unbonding) goes to `recipient`.
    event StakeSlashed(address indexed node, uint256 amount, uint256 fromUnbonding, address recipient);
    /// @notice Emitted when the number of open challenges against `node` changes.
    event DisputesChanged(address indexed node, uint32 disputes);
    /// @notice Emitted when `node` joins (true) or leaves (false) the juror pool.
    event ActiveChanged(address indexed node, bool active);
    /// @notice Emitted once, when the owner wires the task market.
    event MarketSet(address market);
    /// @notice Emitted at deployment and on every parameter change.
    event StakingParametersUpdated(uint96 minStake, uint64 unbondingPeriod);

    /// @notice The caller is not the task market.
    error StakingUnauthorized(address caller);
    /// @notice The market was already set, or is the zero address.
    error StakingInvalidMarket(address market);
    /// @notice A parameter is out of its bounds.
    error StakingInvalidParameters(uint256 minStake, uint256 unbondingPeriod);
    /// @notice `amount` is zero.
    error StakingZeroAmount();
    /// @notice `node` has `available` free stake but `needed` is required.
    error StakingInsufficientStake(address node, uint256 available, uint256 needed);
    /// @notice `node` is below the minimum stake.
    error StakingBelowMinimum(address node, uint256 staked, uint256 minStake);
    /// @notice Nothing is unbonding, or it is not ready before `readyAt`.
    error StakingUnbondNotReady(address node, uint256 unbonding, uint64 readyAt);
    /// @notice `node` has `disputes` open challenges; withdrawals wait.
    error StakingWithdrawFrozen(address node, uint32 disputes);

    modifier onlyMarket() {
        if (msg.sender != _market) revert StakingUnauthorized(msg.sender);
        _;
    }

    /**
     * @param token_ The $POCKET token.
     * @param owner_ May change parameters within bounds and wires the market once.
     * @param minStake_ Minimum stake to bid, challenge and sit on juries.
     * @param unbondingPeriod_ Delay between {requestUnbond} and {withdrawUnbonded}.
     */
    constructor(IERC20 token_, address owner_, uint96 minStake_, uint64 unbondingPeriod_) Ownable(owner_) {
        _token = token_;
        _setParameters(minStake_, unbondingPeriod_);
    }

    // ---------------------------------------------------------------- node actions

    /// @notice Stakes `amount` $POCKET from the caller (needs an allowance).
    function stake(uint96 amount) external nonReentrant {
        if (amount == 0) revert StakingZeroAmount();
        NodeStake storage s = _stakes[msg.sender];
        s.staked += amount;
        emit Staked(msg.sender, amount, s.staked);
        _syncActive(msg.sender, s.staked);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Moves `amount` of free (unlocked) stake to unbonding; restarts the unbonding timer.
    function requestUnbond(uint96 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        NodeStake storage s = _stakes[msg.sender];
        uint256 free = _free(s);
        if (amount > free) revert StakingInsufficientStake(msg.sender, free, amount);
        s.staked -= amount;
        s.unbonding += amount;
        s.unbondReadyAt = uint64(block.timestamp) + _unbondingPeriod;
        emit UnbondRequested(msg.sender, amount, s.unbonding, s.unbondReadyAt);
        _syncActive(msg.sender, s.staked);
    }

    /// @notice Withdraws all unbonded stake once the period has passed and no challenge is open.
    function withdrawUnbonded() external nonReentrant {
        NodeStake storage s = _stakes[msg.sender];
        uint96 amount = s.unbonding;
        if (amount == 0 || block.timestamp < s.unbondReadyAt) {
            revert StakingUnbondNotReady(msg.sender, amount, s.unbondReadyAt);
        }
        if (s.disputes != 0) revert StakingWithdrawFrozen(msg.sender, s.disputes);
        s.unbonding = 0;
        emit UnbondWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount); // interaction last
    }

    // ---------------------------------------------------------------- market hooks

    /// @notice Locks `amount` of `node`'s free stake; the node must hold the minimum stake.
    function lock(address node, uint96 amount) external onlyMarket {
        NodeStake storage s = _stakes[node];
        uint96 staked = s.staked;
        if (staked < _minStake) revert StakingBelowMinimum(node, staked, _minStake);
        uint256 free = _free(s);
        if (amount > free) revert StakingInsufficientStake(node, free, amount);
        // cannot overflow: locked + amount <= staked here
        unchecked {
            s.locked += amount;
        }
        emit StakeLocked(node, amount, s.locked);
    }

    /// @notice Releases `amount` of `node`'s locked stake.
    function unlock(address node, uint96 amount) external onlyMarket {
        NodeStake storage s = _stakes[node];
        s.locked -= amount;
        emit StakeUnlocked(node, amount, s.locked);
    }

    /// @notice Opens (`open`) or closes a dispute against `node`; withdrawals wait while any is open.
    function setDisputed(address node, bool open) external onlyMarket {
        NodeStake storage s = _stakes[node];
        s.disputes = open ? s.disputes + 1 : s.disputes - 1;
        emit DisputesChanged(node, s.disputes);
    }

    /**
     * @notice Slashes up to `amount` from `node` (bonded first, then unbonding) and sends it to `recipient`.
     * @return slashed The amount taken; never more than the node's bonded + unbonding stake.
     */
    function slash(address node, uint96 amount, address recipient) external onlyMarket nonReentrant returns (uint96 slashed) {
        NodeStake storage s = _stakes[node];
        uint96 fromStake = amount < s.staked ? amount : s.staked;
        uint96 rest = amount - fromStake;
        uint96 fromUnbonding = rest < s.unbonding ? rest : s.unbonding;
        s.staked -= fromStake;
        s.unbonding -= fromUnbonding;
        slashed = fromStake + fromUnbonding;
        emit StakeSlashed(node, slashed, fromUnbonding, recipient);
        _syncActive(node, s.staked);
        if (slashed != 0) _token.safeTransfer(recipient, slashed);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Wires the task market (once).
    function setMarket(address market_) external onlyOwner {
        if (_market != address(0) || market_ == address(0)) revert StakingInvalidMarket(market_);
        _market = market_;
        emit MarketSet(market_);
        _setParameters(_minStake, _unbondingPeriod); // re-check the period against the market's dispute span
    }

    /// @notice Changes the minimum stake and the unbonding period within bounds.
    function setParameters(uint96 minStake_, uint64 unbondingPeriod_) external onlyOwner {
        _setParameters(minStake_, unbondingPeriod_);
    }

    // ---------------------------------------------------------------- views

    /// @notice The staked token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The task market allowed to lock, unlock and slash.
    function market() external view returns (address) {
        return _market;
    }

    /// @notice Minimum stake to bid, challenge and sit on juries.
    function minStake() external view returns (uint96) {
        return _minStake;
    }

    /// @notice Delay between an unbond request and its withdrawal.
    function unbondingPeriod() external view returns (uint64) {
        return _unbondingPeriod;
    }

    /// @notice Full stake record of `node`.
    function stakeOf(address node) external view returns (NodeStake memory) {
        return _stakes[node];
    }

    /// @notice Stake of `node` that is neither locked nor unbonding.
    function freeStakeOf(address node) external view returns (uint256) {
        return _free(_stakes[node]);
    }

    /// @notice Bonded stake of `node`, for fast checks by the market.
    function stakedOf(address node) external view returns (uint96) {
        return _stakes[node].staked;
    }

    /// @notice Number of nodes in the juror pool.
    function activeNodeCount() external view returns (uint256) {
        return _active.length();
    }

    /// @notice Juror pool member at `index` (order changes as nodes join and leave).
    function activeNodeAt(uint256 index) external view returns (address) {
        return _active.at(index);
    }

    /// @notice Whether `node` is in the juror pool.
    function isActive(address node) external view returns (bool) {
        return _active.contains(node);
    }

    // ---------------------------------------------------------------- internals

    function _free(NodeStake storage s) private view returns (uint256) {
        uint96 staked = s.staked;
        uint96 locked = s.locked;
        return staked > locked ? staked - locked : 0;
    }

    function _syncActive(address node, uint96 staked) private {
        bool changed = staked >= _minStake && staked != 0 ? _active.add(node) : _active.remove(node);
        if (changed) emit ActiveChanged(node, staked >= _minStake && staked != 0);
    }

    function _setParameters(uint96 minStake_, uint64 unbondingPeriod_) private {
        if (
            minStake_ == 0 || minStake_ > MAX_MIN_STAKE || unbondingPeriod_ < MIN_UNBONDING_PERIOD
                || unbondingPeriod_ > MAX_UNBONDING_PERIOD
                || (_market != address(0) && unbondingPeriod_ <= IDisputeSpan(_market).disputeSpan())
        ) revert StakingInvalidParameters(minStake_, unbondingPeriod_);
        _minStake = minStake_;
        _unbondingPeriod = unbondingPeriod_;
        emit StakingParametersUpdated(minStake_, unbondingPeriod_);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @notice What {Staking} asks the task market about a node (the market keeps locks, exposure and disputes).
interface IMarketHooks {
    /// @notice Longest time from an assignment's commit deadline to the end of its dispute, over all versions.
    function disputeSpan() external view returns (uint256);
    /// @notice Stake of `node` held by open bids and assignments plus its slash reserve while exposed.
    function encumberedOf(address node) external view returns (uint256);
    /// @notice Whether `node` is exposed to a verdict (assignment in its dispute span or an open dispute).
    function withdrawalBlocked(address node) external view returns (bool);
}

/**
 * @title Staking
 * @notice Node operators stake $POCKET here. The task market slashes; slashing reaches stake that is unbonding.
 * Locks, slash reserves and disputes live in the market ({IMarketHooks}), which saves a call per lock.
 * @dev One pending unbond per node: a new request adds to it and restarts the timer. The unbonding period
 * must exceed the market's dispute span, checked both ways. Unbonded stake can be withdrawn only while the
 * market says the node is not exposed to a verdict. The juror pool is append-only (a node joins at its first
 * stake at or above the minimum), so leaving it cannot reorder the other members between draws; a draw
 * weighs seats by stake and skips nodes staked for less than the minimum staking age.
 */
contract Staking is Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Bounds of the owner-settable parameters.
    uint256 public constant MIN_UNBONDING_PERIOD = 10 minutes;
    uint256 public constant MAX_UNBONDING_PERIOD = 90 days;
    uint256 public constant MAX_MIN_STAKE = 1e27;
    /// @notice A juror seat weighs stake up to this many minimum stakes.
    uint256 public constant JUROR_WEIGHT_CAP = 10;
    /// @notice Random probes per seat before the draw falls back to a sweep.
    uint256 public constant DRAW_PROBES_PER_SEAT = 16;

    struct NodeStake {
        uint96 staked; // bonded, slashable, can back locks
        uint96 unbonding; // requested out, still slashable
        uint64 unbondReadyAt; // when `unbonding` can be withdrawn
    }

    IERC20 private immutable _token;
    address private _market;
    uint96 private _minStake;
    uint64 private _unbondingPeriod;
    mapping(address node => NodeStake) private _stakes;
    mapping(address node => uint64) private _activeSince; // 0 while below the minimum stake
    address[] private _pool;
    mapping(address node => bool) private _inPool;

    /// @notice Emitted when `node` adds `amount`; `staked` is its new bonded total.
    event Staked(address indexed node, uint256 amount, uint256 staked);
    /// @notice Emitted when `node` moves `amount` to unbonding; all of `unbonding` is withdrawable at `readyAt`.
    event UnbondRequested(address indexed node, uint256 amount, uint256 unbonding, uint64 readyAt);
    /// @notice Emitted when `node` withdraws its unbonded `amount`.
    event UnbondWithdrawn(address indexed node, uint256 amount);
    /// @notice Emitted when `amount` of `node`'s stake (`fromUnbonding` of it from unbonding) goes to `recipient`.
    event StakeSlashed(address indexed node, uint256 amount, uint256 fromUnbonding, address recipient);
    /// @notice Emitted when `node` reaches (true) or falls below (false) the minimum stake.
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
    /// @notice Nothing is unbonding, or it is not ready before `readyAt`.
    error StakingUnbondNotReady(address node, uint256 unbonding, uint64 readyAt);
    /// @notice `node` is exposed to a verdict (assignment in its dispute span or an open dispute).
    error StakingWithdrawFrozen(address node);
    /// @notice Renouncing ownership is disabled (parameters would freeze at their current values).
    error StakingRenounceDisabled();

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

    /// @notice Moves `amount` of free stake (not locked, not reserved) to unbonding; restarts the timer.
    function requestUnbond(uint96 amount) external {
        if (amount == 0) revert StakingZeroAmount();
        NodeStake storage s = _stakes[msg.sender];
        uint256 free = freeStakeOf(msg.sender);
        if (amount > free) revert StakingInsufficientStake(msg.sender, free, amount);
        s.staked -= amount;
        s.unbonding += amount;
        s.unbondReadyAt = uint64(block.timestamp) + _unbondingPeriod;
        emit UnbondRequested(msg.sender, amount, s.unbonding, s.unbondReadyAt);
        _syncActive(msg.sender, s.staked);
    }

    /// @notice Withdraws all unbonded stake once the period has passed and no verdict can reach the node.
    function withdrawUnbonded() external nonReentrant {
        NodeStake storage s = _stakes[msg.sender];
        uint96 amount = s.unbonding;
        if (amount == 0 || block.timestamp < s.unbondReadyAt) {
            revert StakingUnbondNotReady(msg.sender, amount, s.unbondReadyAt);
        }
        if (IMarketHooks(_market).withdrawalBlocked(msg.sender)) revert StakingWithdrawFrozen(msg.sender);
        s.unbonding = 0;
        emit UnbondWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount); // interaction last
    }

    // ---------------------------------------------------------------- market hooks

    /**
     * @notice Slashes up to `amount` from `node` and sends it to `recipient`. Unbonding stake goes first, so a
     * verdict capped at "total minus others' locks" never cuts into the bonded stake that backs other locks.
     * @return slashed The amount taken; never more than the node's unbonding + bonded stake.
     */
    function slash(address node, uint96 amount, address recipient) external onlyMarket nonReentrant returns (uint96 slashed) {
        NodeStake storage s = _stakes[node];
        uint96 fromUnbonding = amount < s.unbonding ? amount : s.unbonding;
        uint96 rest = amount - fromUnbonding;
        uint96 fromStake = rest < s.staked ? rest : s.staked;
        s.unbonding -= fromUnbonding;
        s.staked -= fromStake;
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

    /// @notice Changes the minimum stake and the unbonding period within bounds (never below the dispute span).
    function setParameters(uint96 minStake_, uint64 unbondingPeriod_) external onlyOwner {
        _setParameters(minStake_, unbondingPeriod_);
    }

    /// @notice Disabled: an ownerless staking contract could never be re-parameterised.
    function renounceOwnership() public view override onlyOwner {
        revert StakingRenounceDisabled();
    }

    // ---------------------------------------------------------------- views

    /**
     * @notice Draws `count` distinct jurors, seats weighted by stake (capped at {JUROR_WEIGHT_CAP} minimum
     * stakes), among pool members active since `joinedBefore` or earlier and not in `exclude`.
     * @dev Random probes first (`DRAW_PROBES_PER_SEAT` per seat), then a sweep from a random start that
     * ignores weights, so the jury is always filled when enough nodes are eligible. Returns fewer than
     * `count` addresses only when fewer are eligible.
     */
    function drawJurors(bytes32 seed, uint256 count, address[3] calldata exclude, uint64 joinedBefore)
        external
        view
        returns (address[] memory jurors)
    {
        jurors = new address[](count);
        uint256 n = _pool.length;
        uint256 filled;
        if (n == 0) return _truncate(jurors, 0);
        uint256 cap = uint256(_minStake) * JUROR_WEIGHT_CAP;
        for (uint256 probe; probe < count * DRAW_PROBES_PER_SEAT && filled < count; ++probe) {
            uint256 r = uint256(keccak256(abi.encode(seed, probe)));
            address c = _pool[r % n];
            if (!_eligible(c, exclude, joinedBefore, jurors, filled)) continue;
            NodeStake storage s = _stakes[c];
            uint256 weight = uint256(s.staked) + s.unbonding;
            // accept with probability min(weight, cap) / cap
            if ((r >> 128) % cap < (weight < cap ? weight : cap)) jurors[filled++] = c;
        }
        uint256 start = uint256(seed) % n;
        for (uint256 i; i < n && filled < count; ++i) {
            address c = _pool[(start + i) % n];
            if (_eligible(c, exclude, joinedBefore, jurors, filled)) jurors[filled++] = c;
        }
        return _truncate(jurors, filled);
    }

    /// @notice The staked token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The task market allowed to slash.
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

    /// @notice Stake record of `node` and the minimum stake, in one call (what the market reads per lock).
    function stakeStatus(address node) external view returns (NodeStake memory, uint96) {
        return (_stakes[node], _minStake);
    }

    /// @notice Bonded stake of `node` that is neither locked nor reserved by the market.
    function freeStakeOf(address node) public view returns (uint256) {
        uint256 staked = _stakes[node].staked;
        uint256 held = _market == address(0) ? 0 : IMarketHooks(_market).encumberedOf(node);
        return staked > held ? staked - held : 0;
    }

    /// @notice Bonded stake of `node`, for fast checks by the market.
    function stakedOf(address node) external view returns (uint96) {
        return _stakes[node].staked;
    }

    /// @notice Whether `node` holds the minimum stake.
    function isActive(address node) external view returns (bool) {
        return _activeSince[node] != 0;
    }

    /// @notice When `node` last reached the minimum stake (0 while below it).
    function activeSince(address node) external view returns (uint64) {
        return _activeSince[node];
    }

    /// @notice Number of nodes that ever joined the juror pool.
    function poolSize() external view returns (uint256) {
        return _pool.length;
    }

    // ---------------------------------------------------------------- internals

    function _eligible(
        address c,
        address[3] calldata exclude,
        uint64 joinedBefore,
        address[] memory drawn,
        uint256 filled
    ) private view returns (bool) {
        uint64 since = _activeSince[c];
        if (since == 0 || since > joinedBefore) return false;
        if (c == exclude[0] || c == exclude[1] || c == exclude[2]) return false;
        for (uint256 i; i < filled; ++i) {
            if (drawn[i] == c) return false;
        }
        return true;
    }

    function _truncate(address[] memory a, uint256 length) private pure returns (address[] memory) {
        assembly ("memory-safe") {
            mstore(a, length)
        }
        return a;
    }

    function _syncActive(address node, uint96 staked) private {
        bool active = staked >= _minStake && staked != 0;
        if (active == (_activeSince[node] != 0)) return;
        _activeSince[node] = active ? uint64(block.timestamp) : 0;
        if (active && !_inPool[node]) {
            _inPool[node] = true;
            _pool.push(node);
        }
        emit ActiveChanged(node, active);
    }

    function _setParameters(uint96 minStake_, uint64 unbondingPeriod_) private {
        if (
            minStake_ == 0 || minStake_ > MAX_MIN_STAKE || unbondingPeriod_ < MIN_UNBONDING_PERIOD
                || unbondingPeriod_ > MAX_UNBONDING_PERIOD
                || (_market != address(0) && unbondingPeriod_ <= IMarketHooks(_market).disputeSpan())
        ) revert StakingInvalidParameters(minStake_, unbondingPeriod_);
        _minStake = minStake_;
        _unbondingPeriod = unbondingPeriod_;
        emit StakingParametersUpdated(minStake_, unbondingPeriod_);
    }
}

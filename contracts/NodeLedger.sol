// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title NodeLedger
 * @notice What the market holds of each node's stake: locks for open bids and assignments, and the slash
 * reserve a verdict can always take while the node is exposed (an assignment inside its dispute span, or an
 * open dispute). One storage slot per node.
 * @dev Invariant (checked on every lock and reserve increase): `locked + reserve <= staked` while exposed.
 * Stake only leaves through an unbond of free stake, a timeout slash of the timed-out task's own lock, a juror
 * penalty capped at free stake, or a verdict; so whatever the node does after an assignment, the reserve stays
 * slashable, and a verdict never needs the stake locked for other requesters' tasks.
 */
abstract contract NodeLedger {
    struct NodeState {
        uint96 locked; // held by open bids and assignments
        uint96 reserve; // slashable by a verdict while exposed
        uint40 exposedUntil; // end of the latest dispute span this node can be judged in
        uint24 disputes; // open challenges against the node
    }

    mapping(address node => NodeState) private _nodes;

    /// @notice Emitted when `amount` of `node`'s stake is locked; `locked` is the new total.
    event StakeLocked(address indexed node, uint256 amount, uint256 locked);
    /// @notice Emitted when `amount` of `node`'s locked stake is released.
    event StakeUnlocked(address indexed node, uint256 amount, uint256 locked);
    /// @notice Emitted when an assignment raises `node`'s slash reserve or extends its exposure.
    event ExposureExtended(address indexed node, uint96 reserve, uint64 exposedUntil);
    /// @notice Emitted when the number of open challenges against `node` changes.
    event DisputesChanged(address indexed node, uint32 disputes);

    /// @notice `node` has `available` unencumbered stake but `needed` is required.
    error NodeLedgerInsufficientStake(address node, uint256 available, uint256 needed);

    /// @notice Stake of `node` held by locks and, while exposed, its slash reserve.
    function encumberedOf(address node) external view returns (uint256) {
        NodeState memory s = _nodes[node];
        return uint256(s.locked) + _activeReserve(s);
    }

    /// @notice Whether a verdict can still reach `node` (unbonded stake may not leave meanwhile).
    function withdrawalBlocked(address node) external view returns (bool) {
        NodeState memory s = _nodes[node];
        return s.disputes != 0 || s.exposedUntil >= block.timestamp;
    }

    /// @notice The ledger record of `node`.
    function nodeStateOf(address node) external view returns (NodeState memory) {
        return _nodes[node];
    }

    /**
     * @dev Locks `amount` and, when `until` is non-zero, raises the reserve to `reserve` and the exposure to
     * `until`; reverts unless `staked` covers locks + reserve.
     */
    function _lock(address node, uint96 amount, uint96 staked, uint96 reserve, uint64 until) internal {
        NodeState memory s = _nodes[node];
        uint96 active = _activeReserve(s);
        if (reserve < active) reserve = active;
        uint256 needed = uint256(s.locked) + amount + reserve;
        if (needed > staked) {
            revert NodeLedgerInsufficientStake(node, staked > s.locked + active ? staked - s.locked - active : 0, amount);
        }
        s.locked += amount;
        s.reserve = reserve;
        if (until > s.exposedUntil) s.exposedUntil = uint40(until);
        _nodes[node] = s;
        if (amount != 0) emit StakeLocked(node, amount, s.locked);
        if (until != 0) emit ExposureExtended(node, reserve, s.exposedUntil);
    }

    /// @dev Releases `amount` of `node`'s locks.
    function _unlock(address node, uint96 amount) internal {
        NodeState storage s = _nodes[node];
        uint96 locked = s.locked - amount;
        s.locked = locked;
        emit StakeUnlocked(node, amount, locked);
    }

    /// @dev Opens (`open`) or closes a dispute against `node`.
    function _setDisputed(address node, bool open) internal {
        NodeState storage s = _nodes[node];
        uint24 d = open ? s.disputes + 1 : s.disputes - 1;
        s.disputes = d;
        emit DisputesChanged(node, d);
    }

    /// @dev After a verdict took `slashed`: the reserve shrinks by as much (it has been paid).
    function _consumeReserve(address node, uint96 slashed) internal {
        NodeState storage s = _nodes[node];
        s.reserve = s.reserve > slashed ? s.reserve - slashed : 0;
    }

    /// @dev The part of `node`'s stake a juror penalty may take: bonded minus locks and the active reserve.
    function _unencumbered(address node, uint96 staked) internal view returns (uint96) {
        NodeState memory s = _nodes[node];
        uint256 held = uint256(s.locked) + _activeReserve(s);
        return staked > held ? uint96(staked - held) : 0;
    }

    /// @dev `node`'s locks and active reserve.
    function _ledger(address node) internal view returns (uint96 locked, uint96 reserve) {
        NodeState memory s = _nodes[node];
        return (s.locked, _activeReserve(s));
    }

    function _activeReserve(NodeState memory s) private view returns (uint96) {
        return s.disputes != 0 || s.exposedUntil >= block.timestamp ? s.reserve : 0;
    }
}

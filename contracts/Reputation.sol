// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Reputation
 * @notice Per-account ledger of the task market: the balance owed (pull payments), compensation that vests
 * over the unbonding period, and, for nodes, the reputation counters the indexer and schedulers read
 * (completed, distinct requesters, timed out, slashed, earned).
 * @dev Abstract: only the inheriting market can write. Owed balance and counters share one storage slot.
 * Counters saturate instead of reverting, so a counter can never block a settlement. Amounts fit in uint96
 * because the token supply is capped at `type(uint96).max`. Self-dealing earns nothing: the market refuses a
 * requester's own bids, and `requesters` counts distinct requesters so that sybil requesters cost a funded
 * account each; schedulers weigh by it and by `earned`.
 */
abstract contract Reputation {
    struct Account {
        uint96 owed; // withdrawable through the market's `withdraw()`
        uint96 earned; // total paid for completed tasks (saturating)
        uint24 completed; // tasks finalized with payment (saturating)
        uint16 requesters; // distinct requesters served (saturating)
        uint16 timedOut; // assignments missed (saturating)
        uint8 slashed; // challenges lost (saturating)
    }

    struct Vesting {
        uint96 amount; // withdrawable from `readyAt`
        uint64 readyAt;
    }

    mapping(address account => Account) private _accounts;
    mapping(address account => Vesting) private _vesting;
    mapping(address node => mapping(address requester => bool)) private _served;

    /// @notice Emitted whenever a node's counters change; carries the full new snapshot.
    event ReputationUpdated(
        address indexed node, uint32 completed, uint16 timedOut, uint16 slashed, uint96 earned, uint16 requesters
    );
    /// @notice Emitted when `amount` is owed to `account` but withdrawable only from `readyAt`.
    event CompensationVesting(address indexed account, uint96 amount, uint64 readyAt);

    /// @notice Balance the market owes `account` now, withdrawable with `withdraw()`.
    function owedOf(address account) external view returns (uint256) {
        Vesting memory v = _vesting[account];
        return _accounts[account].owed + (v.readyAt <= block.timestamp ? v.amount : 0);
    }

    /// @notice Compensation of `account` still vesting, and when it is withdrawable.
    function vestingOf(address account) external view returns (Vesting memory) {
        return _vesting[account];
    }

    /// @notice Reputation counters of `node`.
    function reputationOf(address node)
        external
        view
        returns (uint32 completed, uint16 timedOut, uint16 slashed, uint96 earned, uint16 requesters)
    {
        Account storage a = _accounts[node];
        return (a.completed, a.timedOut, a.slashed, a.earned, a.requesters);
    }

    /// @dev Counts a completed task of `requester` paid `payment` to `node`: earned, completed, requesters.
    function _recordCompleted(address node, address requester, uint96 payment) internal {
        Account storage a = _accounts[node];
        uint96 earned = a.earned;
        // saturating: earned counts recirculated tokens and may exceed the supply cap over time
        a.earned = earned > type(uint96).max - payment ? type(uint96).max : earned + payment;
        if (a.completed != type(uint24).max) ++a.completed;
        if (!_served[node][requester]) {
            _served[node][requester] = true;
            if (a.requesters != type(uint16).max) ++a.requesters;
        }
        _emitReputation(node, a);
    }

    /// @dev Counts a missed deadline against `node`.
    function _recordTimedOut(address node) internal {
        Account storage a = _accounts[node];
        if (a.timedOut != type(uint16).max) ++a.timedOut;
        _emitReputation(node, a);
    }

    /// @dev Counts a lost challenge against `node`.
    function _recordSlashed(address node) internal {
        Account storage a = _accounts[node];
        if (a.slashed != type(uint8).max) ++a.slashed;
        _emitReputation(node, a);
    }

    /// @dev Adds `amount` to what the market owes `account`.
    function _credit(address account, uint96 amount) internal {
        if (amount != 0) _accounts[account].owed += amount;
    }

    /// @dev Owes `amount` to `account` from `readyAt` (a later credit adds to it and restarts the timer).
    function _creditVesting(address account, uint96 amount, uint64 readyAt) internal {
        if (amount == 0) return;
        Vesting storage v = _vesting[account];
        v.amount += amount;
        v.readyAt = readyAt;
        emit CompensationVesting(account, v.amount, readyAt);
    }

    /// @dev Zeroes and returns what the market owes `account` now (effects before the caller's transfer).
    function _takeOwed(address account) internal returns (uint96 amount) {
        Account storage a = _accounts[account];
        amount = a.owed;
        a.owed = 0;
        Vesting storage v = _vesting[account];
        if (v.amount != 0 && v.readyAt <= block.timestamp) {
            amount += v.amount;
            v.amount = 0;
        }
    }

    function _emitReputation(address node, Account storage a) private {
        emit ReputationUpdated(node, a.completed, a.timedOut, a.slashed, a.earned, a.requesters);
    }
}

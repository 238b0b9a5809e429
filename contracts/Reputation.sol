// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title Reputation
 * @notice Per-account ledger of the task market: the balance owed (pull payments) and, for nodes, the
 * reputation counters the indexer and schedulers read (completed, timed out, slashed, earned).
 * @dev Abstract: only the inheriting market can write. Owed balance and counters share one storage slot so
 * that paying a node is a single SSTORE. Counters saturate instead of reverting, so a counter can never
 * block a settlement. Amounts fit in uint96 because the token supply is capped at `type(uint96).max`.
 */
abstract contract Reputation {
    struct Account {
        uint96 owed; // withdrawable through the market's `withdraw()`
        uint96 earned; // total paid for completed tasks (saturating)
        uint32 completed; // tasks finalized with payment (saturating)
        uint16 timedOut; // assignments missed (saturating)
        uint16 slashed; // challenges lost (saturating)
    }

    mapping(address account => Account) private _accounts;

    /// @notice Emitted whenever a node's counters change; carries the full new snapshot.
    event ReputationUpdated(address indexed node, uint32 completed, uint16 timedOut, uint16 slashed, uint96 earned);

    /// @notice Balance the market owes `account`, withdrawable with `withdraw()`.
    function owedOf(address account) external view returns (uint256) {
        return _accounts[account].owed;
    }

    /// @notice Reputation counters of `node`.
    function reputationOf(address node)
        external
        view
        returns (uint32 completed, uint16 timedOut, uint16 slashed, uint96 earned)
    {
        Account storage a = _accounts[node];
        return (a.completed, a.timedOut, a.slashed, a.earned);
    }

    /// @dev Credits a completed task's `payment` to `node`: owed, earned and completed in one write.
    function _recordCompleted(address node, uint96 payment) internal {
        Account storage a = _accounts[node];
        a.owed += payment;
        uint96 earned = a.earned;
        // saturating: earned counts recirculated tokens and may exceed the supply cap over time
        a.earned = earned > type(uint96).max - payment ? type(uint96).max : earned + payment;
        if (a.completed != type(uint32).max) ++a.completed;
        emit ReputationUpdated(node, a.completed, a.timedOut, a.slashed, a.earned);
    }

    /// @dev Counts a missed deadline against `node`.
    function _recordTimedOut(address node) internal {
        Account storage a = _accounts[node];
        if (a.timedOut != type(uint16).max) ++a.timedOut;
        emit ReputationUpdated(node, a.completed, a.timedOut, a.slashed, a.earned);
    }

    /// @dev Counts a lost challenge against `node`.
    function _recordSlashed(address node) internal {
        Account storage a = _accounts[node];
        if (a.slashed != type(uint16).max) ++a.slashed;
        emit ReputationUpdated(node, a.completed, a.timedOut, a.slashed, a.earned);
    }

    /// @dev Adds `amount` to what the market owes `account`.
    function _credit(address account, uint96 amount) internal {
        if (amount != 0) _accounts[account].owed += amount;
    }

    /// @dev Zeroes and returns what the market owes `account` (effects before the caller's transfer).
    function _takeOwed(address account) internal returns (uint96 amount) {
        Account storage a = _accounts[account];
        amount = a.owed;
        a.owed = 0;
    }
}

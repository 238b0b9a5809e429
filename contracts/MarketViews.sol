// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketCore} from "./MarketCore.sol";
import {Staking} from "./Staking.sol";

/// @title MarketViews
/// @notice Read-only views of the task market.
abstract contract MarketViews is MarketCore {
    /// @notice The escrow token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The staking contract.
    function staking() external view returns (Staking) {
        return _staking;
    }

    /// @notice Number of tasks posted (the low 96 bits of the latest task id).
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @notice The task record of `taskId`.
    function taskOf(uint256 taskId) external view returns (Task memory) {
        return _tasks[taskId];
    }

    /// @notice The bids on `taskId`, in bid order.
    function bidsOf(uint256 taskId) external view returns (Bid[] memory bids) {
        uint256 n = _tasks[taskId].bidCount;
        bids = new Bid[](n);
        for (uint256 i; i < n; ++i) {
            bids[i] = _bids[taskId][i];
        }
    }

    /// @notice The assigned node and price of `taskId` (zero before assignment).
    function assignmentOf(uint256 taskId) external view returns (address node, uint96 price) {
        Task storage t = _tasks[taskId];
        if (t.state == TaskState.None || t.state == TaskState.Posted || t.state == TaskState.Cancelled) {
            return (address(0), 0);
        }
        Bid storage b = _bids[taskId][t.assignedBid];
        return (b.node, b.price);
    }
}

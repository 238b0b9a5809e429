// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarketCore} from "./MarketCore.sol";

/**
 * @title MarketGovernance
 * @notice The owner's timelocked parameter changes (part of {MarketExtension}, reached through the market).
 * @dev Bounds are checked when proposed and again when executed; a change applies only to tasks posted after.
 */
abstract contract MarketGovernance is MarketCore {
    /// @notice Proposes new parameters and treasury; they apply to tasks posted after {executeParameters}.
    function proposeParameters(Parameters calldata params_, address treasury_) external onlyOwner {
        _check(params_, treasury_, _unbondingPeriod());
        _pending = params_;
        _pendingTreasury = treasury_;
        _eta = uint64(block.timestamp + PARAMETER_DELAY);
        emit ParametersProposed(params_, treasury_, _eta);
    }

    /// @notice Withdraws the pending proposal.
    function cancelParameters() external onlyOwner {
        if (_eta == 0) revert MarketTimelocked(0);
        _eta = 0;
        emit ParametersProposalCancelled();
    }

    /// @notice Applies the pending proposal once its delay has passed (anyone may call).
    function executeParameters() external {
        uint64 eta = _eta;
        if (eta == 0 || block.timestamp < eta) revert MarketTimelocked(eta);
        _eta = 0;
        Parameters memory p = _pending;
        _check(p, _pendingTreasury, _unbondingPeriod()); // the unbonding period may have changed since
        _apply(p, _pendingTreasury);
    }

    /// @notice Parameters of `version`.
    function parametersAt(uint16 version) external view returns (Parameters memory) {
        return _paramsAt[version];
    }

    /// @notice Current parameter version.
    function parametersVersion() external view returns (uint16) {
        return _version;
    }

    /// @notice The pending proposal and when it becomes executable (`eta` 0: none).
    function pendingParameters() external view returns (Parameters memory params, address treasury, uint64 eta) {
        return (_pending, _pendingTreasury, _eta);
    }

}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/**
 * @title MarketParameters
 * @notice Versioned, timelocked parameters of the task market and its treasury.
 * @dev Every task records the parameter version current at its posting and every rule that settles it reads
 * that version, so a change never reaches a task (or its challenge) already in flight. Changes are proposed by
 * the owner, bounded when proposed, and take effect only after {PARAMETER_DELAY} (anyone may execute them).
 * Protocol revenue (the slash remainder, penalties nobody earned) goes to the treasury, not the owner, and
 * ownership cannot be renounced.
 */
abstract contract MarketParameters is Ownable2Step {
    uint256 public constant MIN_WINDOW = 1 minutes;
    uint256 public constant MAX_WINDOW = 30 days;
    uint256 public constant MAX_CHALLENGE_BOND = 1e27;
    uint256 public constant MAX_JURY_SIZE = 15;
    uint256 public constant MAX_BIDS = 16;
    /// @notice Delay between a proposal and the earliest execution.
    uint256 public constant PARAMETER_DELAY = 2 days;
    uint256 internal constant _BPS = 10_000;

    struct Parameters {
        uint64 challengeWindow; // after a commit
        uint64 voteCommitWindow; // the challenger reveals its seed, then jurors commit votes, each this long
        uint64 voteRevealWindow; // jurors reveal votes
        uint96 challengeBond; // posted by the challenger
        uint16 slashBps; // share of the node's stake (at assignment, at least) taken on a lost challenge
        uint16 finderFeeBps; // share of the slash paid to the challenger
        uint16 jurorRewardBps; // share of the slash paid to the guilty-voting jurors
        uint16 undecidedFeeBps; // share of the bond a challenger loses on a tie or no quorum
        uint16 bidBondBps; // a bid locks at least this share of the task's max price
        uint8 jurySize; // odd, 1..MAX_JURY_SIZE
        uint8 maxBids; // 1..MAX_BIDS
        uint96 jurorPenalty; // slashed from a drawn juror who does not reveal
        uint64 minStakeAge; // jurors must have held the minimum stake this long before the challenge
    }

    uint16 internal _version;
    uint64 internal _eta; // 0: no proposal pending
    uint256 private _maxDisputeSpan;
    mapping(uint16 version => Parameters) internal _paramsAt;
    mapping(uint16 version => address) internal _treasuryAt;
    Parameters internal _pending;
    address internal _pendingTreasury;

    /// @notice Emitted when a change is proposed; executable from `eta`.
    event ParametersProposed(Parameters params, address treasury, uint64 eta);
    /// @notice Emitted at deployment and when a proposal takes effect as `version`.
    event ParametersUpdated(uint16 indexed version, Parameters params, address treasury);
    /// @notice Emitted when the owner withdraws a pending proposal.
    event ParametersProposalCancelled();

    /// @notice A parameter is out of bounds, or the dispute span is not shorter than the unbonding period.
    error MarketInvalidParameters(Parameters params);
    /// @notice The treasury is the zero address.
    error MarketInvalidTreasury(address treasury);
    /// @notice No proposal is pending, or it is not executable before `eta`.
    error MarketTimelocked(uint64 eta);
    /// @notice Renouncing ownership is disabled.
    error MarketRenounceDisabled();

    constructor(Parameters memory params_, address treasury_, uint256 unbondingPeriod_) {
        _check(params_, treasury_, unbondingPeriod_);
        _apply(params_, treasury_);
    }

    /// @notice Disabled: an ownerless market would freeze its parameters and treasury forever.
    function renounceOwnership() public view override onlyOwner {
        revert MarketRenounceDisabled();
    }

    /// @notice Current parameters (what a task posted now records).
    function parameters() external view returns (Parameters memory) {
        return _paramsAt[_version];
    }

    /// @notice Receives protocol revenue.
    function treasury() public view returns (address) {
        return _treasuryAt[_version];
    }

    /// @notice Longest commit-deadline-to-verdict span over every parameter version ever used.
    function disputeSpan() public view returns (uint256) {
        return _maxDisputeSpan;
    }

    function _params(uint16 version) internal view returns (Parameters storage) {
        return _paramsAt[version];
    }

    /// @dev The treasury of `version` (a task's protocol revenue goes to the treasury of its version).
    function _treasuryOf(uint16 version) internal view returns (address) {
        return _treasuryAt[version];
    }

    function _currentVersion() internal view returns (uint16) {
        return _version;
    }

    /// @dev The staking contract's unbonding period, which every dispute span must stay below.
    function _unbondingPeriod() internal view virtual returns (uint256);

    function _span(Parameters memory p) internal pure returns (uint256) {
        // challenge window, seed reveal, vote commit, vote reveal
        return uint256(p.challengeWindow) + 2 * uint256(p.voteCommitWindow) + p.voteRevealWindow;
    }

    function _apply(Parameters memory p, address treasury_) internal {
        uint16 version = ++_version;
        _paramsAt[version] = p;
        _treasuryAt[version] = treasury_;
        uint256 span = _span(p);
        if (span > _maxDisputeSpan) _maxDisputeSpan = span;
        emit ParametersUpdated(version, p, treasury_);
    }

    function _check(Parameters memory p, address treasury_, uint256 unbondingPeriod_) internal pure {
        if (treasury_ == address(0)) revert MarketInvalidTreasury(treasury_);
        if (
            p.challengeWindow < MIN_WINDOW || p.challengeWindow > MAX_WINDOW || p.voteCommitWindow < MIN_WINDOW
                || p.voteCommitWindow > MAX_WINDOW || p.voteRevealWindow < MIN_WINDOW || p.voteRevealWindow > MAX_WINDOW
                || p.challengeBond == 0 || p.challengeBond > MAX_CHALLENGE_BOND || p.slashBps == 0 || p.slashBps > _BPS
                || uint256(p.finderFeeBps) + p.jurorRewardBps > _BPS || p.undecidedFeeBps > _BPS
                || p.bidBondBps > _BPS || p.jurySize == 0 || p.jurySize > MAX_JURY_SIZE || p.jurySize % 2 == 0
                || p.maxBids == 0 || p.maxBids > MAX_BIDS || p.jurorPenalty > MAX_CHALLENGE_BOND
                || p.minStakeAge > MAX_WINDOW || _span(p) >= unbondingPeriod_
        ) revert MarketInvalidParameters(p);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {JuryCourt} from "./JuryCourt.sol";
import {MarketParameters} from "./MarketParameters.sol";
import {NodeLedger} from "./NodeLedger.sol";
import {Staking} from "./Staking.sol";

/**
 * @title MarketCore
 * @notice Storage, events and shared rules of the task market ({TaskMarket} adds the entry points).
 * @dev Storage keeps only what settlement needs: one slot per task and one per bid. The task spec (model
 * digest, input, sampling params, seed), the receipt hash and the output live in events, which the indexer,
 * the node daemon and the auditors read. A task id carries its requester in the high 160 bits and a global
 * sequence number in the low 96 bits (see {requesterOf}). `Task.deadline` is the deadline of the current
 * state: last bid/assign time (Posted), commit deadline (Assigned), end of the challenge window (Committed).
 */
abstract contract MarketCore is MarketParameters, NodeLedger, JuryCourt, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint256 public constant MAX_INLINE_BYTES = 16_384;
    uint256 public constant MAX_URI_BYTES = 2_048;
    uint256 public constant MAX_SAMPLING_BYTES = 1_024;

    enum TaskState {
        None,
        Posted,
        Assigned,
        Committed,
        Challenged,
        Finalized,
        Cancelled,
        TimedOut,
        Slashed,
        ChallengePending // seed committed, jury not drawn yet
    }

    struct Task {
        uint96 maxPrice; // escrowed at post
        uint64 deadline; // meaning depends on `state`, see the contract doc
        uint32 execWindow; // seconds the node has after assignment
        TaskState state;
        uint8 bidCount;
        uint8 assignedBid;
        uint16 version; // parameter version at posting; every rule of this task reads it
        uint16 bidBondBps; // copy of the version's bid bond, read on every lock and unlock
    }

    struct PostTaskParams {
        bytes32 modelDigest; // sha256 over the model's canonical weight manifest
        bytes32 inputHash;
        bytes input; // inline input (may be empty when `inputURI` is set)
        string inputURI;
        bytes samplingParams; // canonical encoding of the sampling parameters
        uint64 seed;
        uint96 maxPrice;
        uint64 bidDeadline; // bids and assignment until then
        uint32 execWindow; // seconds from assignment to the commit deadline
    }

    struct Bid {
        address node;
        uint96 price; // the stake locked is max(price, maxPrice * bidBondBps)
    }

    IERC20 internal immutable _token;
    Staking internal immutable _staking;
    uint256 internal _taskCount;
    mapping(uint256 taskId => Task) internal _tasks;
    // one more than MAX_BIDS: a signed bid can be assigned on a task whose on-chain bid list is full
    mapping(uint256 taskId => Bid[17]) internal _bids;

    /// @notice Emitted when `node` bids `price` (bid number `bidIndex`) on `taskId`.
    event BidPlaced(uint256 indexed taskId, address indexed node, uint8 bidIndex, uint96 price);
    /// @notice Emitted when a cheaper bid takes the place `bidIndex` of `node`'s bid on a full task.
    event BidRemoved(uint256 indexed taskId, address indexed node, uint8 bidIndex, uint96 price);
    /// @notice Emitted when `taskId` settles: `node` was paid `payment`, the requester refunded `refund`.
    event TaskFinalized(uint256 indexed taskId, address indexed node, uint96 payment, uint96 refund);
    /// @notice Emitted when a challenge of `taskId` is resolved. `finderFee` is the challenger's fee on a guilty
    /// verdict, and the part of the bond paid to the node on an undecided one.
    event ChallengeResolved(
        uint256 indexed taskId,
        Verdict verdict,
        uint8 guiltyVotes,
        uint8 innocentVotes,
        uint96 slashed,
        uint96 finderFee
    );

    /// @notice `taskId` is in `state`, which does not allow the call.
    error TaskMarketInvalidState(uint256 taskId, TaskState state);
    /// @notice The call came after `deadline`.
    error TaskMarketDeadlinePassed(uint256 taskId, uint64 deadline);
    /// @notice The call came before the end of the window at `deadline`.
    error TaskMarketWindowOpen(uint256 taskId, uint64 deadline);
    /// @notice `caller` may not do this on `taskId`.
    error TaskMarketUnauthorized(uint256 taskId, address caller);
    /// @notice `account` holds `staked` < `minStake`.
    error TaskMarketNotStaked(address account, uint256 staked, uint256 minStake);
    /// @notice A payload of `length` bytes exceeds `max`.
    error TaskMarketPayloadTooLarge(uint256 length, uint256 max);
    /// @notice Staking slashed `taken` instead of the `expected` amount already credited (never happens).
    error TaskMarketSlashMismatch(uint96 expected, uint96 taken);

    constructor(IERC20 token_, Staking staking_, address owner_, Parameters memory params_, address treasury_)
        Ownable(owner_)
        MarketParameters(params_, treasury_, staking_.unbondingPeriod())
    {
        _token = token_;
        _staking = staking_;
    }

    /// @notice The requester of `taskId`, encoded in the id's high 160 bits.
    function requesterOf(uint256 taskId) public pure returns (address) {
        return address(uint160(taskId >> 96));
    }

    /// @notice Stake a bid of `price` on `taskId` locks: max(price, maxPrice * bidBondBps / 10000).
    function bidLockOf(uint256 taskId, uint96 price) public view returns (uint96) {
        return _bidLock(_tasks[taskId], price);
    }

    // ---------------------------------------------------------------- internals

    function _unbondingPeriod() internal view override returns (uint256) {
        return _staking.unbondingPeriod();
    }

    function _bidLock(Task storage t, uint96 price) internal view returns (uint96) {
        uint96 bond = uint96(uint256(t.maxPrice) * t.bidBondBps / _BPS);
        return price > bond ? price : bond;
    }

    /// @dev Reads `node`'s stake and checks the minimum; returns bonded and unbonding stake.
    function _stakeOf(address node) internal view returns (uint96 staked, uint96 unbonding) {
        (Staking.NodeStake memory s, uint96 minStake) = _staking.stakeStatus(node);
        if (s.staked < minStake) revert TaskMarketNotStaked(node, s.staked, minStake);
        return (s.staked, s.unbonding);
    }

    /**
     * @dev Locks `lock` for `node` assigned to `t` (commit due `commitDeadline`) and exposes it: the reserve
     * becomes the version's slash share of its stake, held until the longest dispute of this task could end.
     */
    function _lockAssigned(address node, Task storage t, uint96 lock, uint64 commitDeadline) internal {
        (uint96 staked, uint96 unbonding) = _stakeOf(node);
        Parameters storage p = _params(t.version);
        uint96 reserve = uint96((uint256(staked) + unbonding) * p.slashBps / _BPS);
        _lock(node, lock, staked, reserve, uint64(commitDeadline + _span(p)));
    }

    /**
     * @dev What a verdict slashes: the larger of the reserve and the slash share of the current stake,
     * capped so that stake locked for other tasks stays (`ownLock` is the judged task's lock).
     */
    function _verdictSlash(address node, uint96 ownLock, uint16 slashBps) internal view returns (uint96) {
        Staking.NodeStake memory s = _staking.stakeOf(node);
        (uint96 locked, uint96 reserve) = _ledger(node);
        uint256 total = uint256(s.staked) + s.unbonding;
        uint256 amount = total * slashBps / _BPS;
        if (reserve > amount) amount = reserve;
        uint256 cap = total + ownLock - locked; // locked >= ownLock
        return uint96(amount < cap ? amount : cap);
    }

    /// @dev Pays the node and refunds the rest of the escrow (pushed), releases the lock, counts reputation.
    function _settle(uint256 taskId, Task storage t) internal {
        Bid memory bid = _bids[taskId][t.assignedBid];
        address requester = requesterOf(taskId);
        uint96 refund = t.maxPrice - bid.price;
        t.state = TaskState.Finalized;
        _unlock(bid.node, _bidLock(t, bid.price));
        _recordCompleted(bid.node, requester, bid.price);
        emit TaskFinalized(taskId, bid.node, bid.price, refund);
        // plain ERC-20 without hooks; all effects are done
        _token.safeTransfer(bid.node, bid.price);
        if (refund != 0) _token.safeTransfer(requester, refund);
    }

    /// @dev Slashes exactly `amount` (already accounted for) into the market.
    function _slash(address node, uint96 amount) internal {
        uint96 taken = _staking.slash(node, amount, address(this));
        if (taken != amount) revert TaskMarketSlashMismatch(amount, taken);
    }

    /// @inheritdoc JuryCourt
    function _penalizeJuror(address juror, uint96 penalty) internal override returns (uint96 taken) {
        uint96 free = _unencumbered(juror, _staking.stakedOf(juror));
        taken = penalty < free ? penalty : free;
        if (taken != 0) _slash(juror, taken);
    }

    function _checkSize(uint256 length, uint256 max) internal pure {
        if (length > max) revert TaskMarketPayloadTooLarge(length, max);
    }

    function _requireState(uint256 taskId, Task storage t, TaskState expected) internal view {
        if (t.state != expected) revert TaskMarketInvalidState(taskId, t.state);
    }
}

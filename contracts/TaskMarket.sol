// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {JuryCourt} from "./JuryCourt.sol";
import {IDisputeSpan, Staking} from "./Staking.sol";

/**
 * @title TaskMarket
 * @notice Inference task market: requesters post tasks with $POCKET in escrow, staked nodes bid, the requester
 * assigns a bid, the node commits a receipt hash + output, anyone staked may challenge within the window
 * (jury in {JuryCourt}), otherwise the task finalizes: node paid, requester refunded, all pull-based.
 * @dev Storage keeps only what settlement needs: one slot per task and one per bid. The task spec (model
 * digest, input, sampling params, seed), the receipt hash and the output live in events, which the indexer,
 * the node daemon and the auditors read. A task id carries its requester in the high 160 bits and a global
 * sequence number in the low 96 bits (see {requesterOf}), which saves a storage slot per task.
 * `Task.deadline` is the deadline of the current state: last bid/assign time (Posted), commit deadline
 * (Assigned), end of the challenge window (Committed).
 */
contract TaskMarket is JuryCourt, Ownable2Step, ReentrancyGuardTransient, IDisputeSpan {
    using SafeERC20 for IERC20;

    uint256 public constant MAX_BIDS = 16;
    uint256 public constant MAX_INLINE_BYTES = 16_384;
    uint256 public constant MIN_WINDOW = 1 minutes;
    uint256 public constant MAX_WINDOW = 30 days;
    uint256 public constant MAX_CHALLENGE_BOND = 1e27;
    uint256 private constant _BPS = 10_000;

    enum TaskState {
        None,
        Posted,
        Assigned,
        Committed,
        Challenged,
        Finalized,
        Cancelled,
        TimedOut,
        Slashed
    }

    /// @notice Owner-settable parameters; bounds in {_setParameters}.
    struct Parameters {
        uint64 challengeWindow; // after a commit
        uint64 voteCommitWindow; // jurors commit votes
        uint64 voteRevealWindow; // jurors reveal votes
        uint96 challengeBond; // posted by the challenger
        uint16 slashBps; // share of the node's bonded + unbonding stake taken on a lost challenge
        uint16 finderFeeBps; // share of the slashed amount paid to the challenger
        uint8 jurySize; // odd, 1..MAX_JURY_SIZE
        uint8 maxBids; // 1..MAX_BIDS
    }

    struct Task {
        uint96 maxPrice; // escrowed at post
        uint64 deadline; // meaning depends on `state`, see the contract doc
        uint32 execWindow; // seconds the node has after assignment
        TaskState state;
        uint8 bidCount;
        uint8 assignedBid;
    }

    struct Bid {
        address node;
        uint96 price; // also the stake locked by the bid
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

    IERC20 private immutable _token;
    Staking private immutable _staking;
    Parameters private _params;
    uint256 private _taskCount;
    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => Bid[MAX_BIDS]) private _bids;

    /// @notice Emitted when a task is posted; carries the full spec (it is not stored).
    event TaskPosted(
        uint256 indexed taskId,
        address indexed requester,
        bytes32 indexed modelDigest,
        bytes32 inputHash,
        uint96 maxPrice,
        uint64 bidDeadline,
        uint32 execWindow,
        uint64 seed,
        bytes samplingParams,
        bytes input,
        string inputURI
    );
    /// @notice Emitted when `node` bids `price` (bid number `bidIndex`) on `taskId`.
    event BidPlaced(uint256 indexed taskId, address indexed node, uint8 bidIndex, uint96 price);
    /// @notice Emitted when the requester assigns `taskId` to `node` at `price`; commit due by `commitDeadline`.
    event TaskAssigned(uint256 indexed taskId, address indexed node, uint8 bidIndex, uint96 price, uint64 commitDeadline);
    /// @notice Emitted when `node` commits its result; challenges accepted until `challengeDeadline`.
    event TaskCommitted(
        uint256 indexed taskId,
        address indexed node,
        bytes32 receiptHash,
        bytes32 outputHash,
        uint64 challengeDeadline,
        bytes output,
        string outputURI
    );
    /// @notice Emitted when `challenger` disputes `taskId` with `bond`; `jurors` vote until the deadlines.
    event TaskChallenged(
        uint256 indexed taskId,
        address indexed challenger,
        address indexed node,
        uint96 bond,
        bytes32 evidenceHash,
        uint64 voteCommitDeadline,
        uint64 voteRevealDeadline,
        address[] jurors
    );
    /// @notice Emitted when the challenge of `taskId` is resolved.
    event ChallengeResolved(
        uint256 indexed taskId,
        Verdict verdict,
        uint8 guiltyVotes,
        uint8 innocentVotes,
        uint96 slashed,
        uint96 finderFee
    );
    /// @notice Emitted when `taskId` settles: `node` is owed `payment`, the requester `refund`.
    event TaskFinalized(uint256 indexed taskId, address indexed node, uint96 payment, uint96 refund);
    /// @notice Emitted when an unassigned task is cancelled; the requester is owed `refund`.
    event TaskCancelled(uint256 indexed taskId, uint96 refund);
    /// @notice Emitted when `node` missed the commit deadline; its bid lock (`slashed`) goes to the requester.
    event TaskTimedOut(uint256 indexed taskId, address indexed node, uint96 refund, uint96 slashed);
    /// @notice Emitted when `account` withdraws `amount` it was owed.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice Emitted at deployment and on every parameter change.
    event ParametersUpdated(Parameters params);

    /// @notice A parameter is out of bounds, or the dispute span is not shorter than the unbonding period.
    error TaskMarketInvalidParameters(Parameters params);
    /// @notice `price` is zero or above `maxPrice`.
    error TaskMarketInvalidPrice(uint256 price, uint256 maxPrice);
    /// @notice The bid deadline or the execution window is out of bounds.
    error TaskMarketInvalidDeadline(uint64 bidDeadline, uint32 execWindow);
    /// @notice An inline input or output of `length` bytes exceeds `max`.
    error TaskMarketPayloadTooLarge(uint256 length, uint256 max);
    /// @notice `taskId` is in `state`, which does not allow the call.
    error TaskMarketInvalidState(uint256 taskId, TaskState state);
    /// @notice The call came after `deadline`.
    error TaskMarketDeadlinePassed(uint256 taskId, uint64 deadline);
    /// @notice The call came before the end of the window at `deadline`.
    error TaskMarketWindowOpen(uint256 taskId, uint64 deadline);
    /// @notice `taskId` already has `maxBids` bids.
    error TaskMarketTooManyBids(uint256 taskId, uint8 maxBids);
    /// @notice `node` already bid on `taskId`.
    error TaskMarketDuplicateBid(uint256 taskId, address node);
    /// @notice `bidIndex` is not a bid of `taskId`.
    error TaskMarketInvalidBid(uint256 taskId, uint256 bidIndex);
    /// @notice `caller` may not do this on `taskId`.
    error TaskMarketUnauthorized(uint256 taskId, address caller);
    /// @notice A zero receipt hash was committed.
    error TaskMarketInvalidReceipt(uint256 taskId);
    /// @notice `account` holds `staked` < `minStake`.
    error TaskMarketNotStaked(address account, uint256 staked, uint256 minStake);
    /// @notice Staking slashed `taken` instead of the `expected` amount already credited (never happens).
    error TaskMarketSlashMismatch(uint96 expected, uint96 taken);
    /// @notice `account` is owed nothing.
    error TaskMarketNothingOwed(address account);

    /**
     * @param token_ The $POCKET token (escrow, bonds, payments).
     * @param staking_ Node stake: locks, disputes, slashing, juror pool.
     * @param owner_ Sets parameters within bounds; receives slashed stake minus the finder's fee.
     * @param params_ Initial parameters.
     */
    constructor(IERC20 token_, Staking staking_, address owner_, Parameters memory params_) Ownable(owner_) {
        _token = token_;
        _staking = staking_;
        _setParameters(params_);
    }

    // ---------------------------------------------------------------- requester

    /// @notice Posts a task and escrows `p.maxPrice` from the caller (needs an allowance or a prior permit).
    function postTask(PostTaskParams calldata p) external nonReentrant returns (uint256 taskId) {
        if (p.maxPrice == 0) revert TaskMarketInvalidPrice(0, 0);
        if (
            p.bidDeadline <= block.timestamp || p.bidDeadline > block.timestamp + MAX_WINDOW
                || p.execWindow < MIN_WINDOW || p.execWindow > MAX_WINDOW
        ) revert TaskMarketInvalidDeadline(p.bidDeadline, p.execWindow);
        if (p.input.length > MAX_INLINE_BYTES) revert TaskMarketPayloadTooLarge(p.input.length, MAX_INLINE_BYTES);
        // cannot collide: the low 96 bits are a counter that never repeats
        taskId = (uint256(uint160(msg.sender)) << 96) | ++_taskCount;
        _tasks[taskId] = Task({
            maxPrice: p.maxPrice,
            deadline: p.bidDeadline,
            execWindow: p.execWindow,
            state: TaskState.Posted,
            bidCount: 0,
            assignedBid: 0
        });
        emit TaskPosted(
            taskId,
            msg.sender,
            p.modelDigest,
            p.inputHash,
            p.maxPrice,
            p.bidDeadline,
            p.execWindow,
            p.seed,
            p.samplingParams,
            p.input,
            p.inputURI
        );
        _token.safeTransferFrom(msg.sender, address(this), p.maxPrice);
    }

    /// @notice Assigns `taskId` to bid `bidIndex` and releases the other bids' stake locks.
    function assignTask(uint256 taskId, uint8 bidIndex) external {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Posted);
        if (msg.sender != requesterOf(taskId)) revert TaskMarketUnauthorized(taskId, msg.sender);
        if (block.timestamp > t.deadline) revert TaskMarketDeadlinePassed(taskId, t.deadline);
        uint8 bidCount = t.bidCount;
        if (bidIndex >= bidCount) revert TaskMarketInvalidBid(taskId, bidIndex);
        Bid[MAX_BIDS] storage bids = _bids[taskId];
        Bid memory bid = bids[bidIndex];
        uint64 commitDeadline = uint64(block.timestamp) + t.execWindow;
        t.state = TaskState.Assigned;
        t.assignedBid = bidIndex;
        t.deadline = commitDeadline;
        emit TaskAssigned(taskId, bid.node, bidIndex, bid.price, commitDeadline);
        for (uint256 i; i < bidCount; ++i) {
            if (i != bidIndex) _staking.unlock(bids[i].node, bids[i].price);
        }
    }

    /// @notice Cancels an unassigned task: by the requester at any time, by anyone after the bid deadline.
    function cancelTask(uint256 taskId) external {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Posted);
        if (msg.sender != requesterOf(taskId) && block.timestamp <= t.deadline) {
            revert TaskMarketUnauthorized(taskId, msg.sender);
        }
        t.state = TaskState.Cancelled;
        _credit(requesterOf(taskId), t.maxPrice);
        emit TaskCancelled(taskId, t.maxPrice);
        Bid[MAX_BIDS] storage bids = _bids[taskId];
        for (uint256 i; i < t.bidCount; ++i) {
            _staking.unlock(bids[i].node, bids[i].price);
        }
    }

    // ---------------------------------------------------------------- node

    /// @notice Bids `price` on `taskId`; locks `price` of the caller's free stake until the bid resolves.
    function placeBid(uint256 taskId, uint96 price) external returns (uint8 bidIndex) {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Posted);
        if (block.timestamp > t.deadline) revert TaskMarketDeadlinePassed(taskId, t.deadline);
        if (price == 0 || price > t.maxPrice) revert TaskMarketInvalidPrice(price, t.maxPrice);
        bidIndex = t.bidCount;
        if (bidIndex >= _params.maxBids) revert TaskMarketTooManyBids(taskId, _params.maxBids);
        Bid[MAX_BIDS] storage bids = _bids[taskId];
        for (uint256 i; i < bidIndex; ++i) {
            if (bids[i].node == msg.sender) revert TaskMarketDuplicateBid(taskId, msg.sender);
        }
        bids[bidIndex] = Bid({node: msg.sender, price: price});
        t.bidCount = bidIndex + 1;
        emit BidPlaced(taskId, msg.sender, bidIndex, price);
        _staking.lock(msg.sender, price); // reverts unless staked >= minimum and free stake >= price
    }

    /**
     * @notice Commits the result of an assigned task: the receipt hash (EIP-712 receipt signed by the node),
     * the output hash, and the output inline (`output`) or by reference (`outputURI`).
     */
    function commitResult(
        uint256 taskId,
        bytes32 receiptHash,
        bytes32 outputHash,
        bytes calldata output,
        string calldata outputURI
    ) external {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Assigned);
        if (msg.sender != _bids[taskId][t.assignedBid].node) revert TaskMarketUnauthorized(taskId, msg.sender);
        if (block.timestamp > t.deadline) revert TaskMarketDeadlinePassed(taskId, t.deadline);
        if (receiptHash == bytes32(0)) revert TaskMarketInvalidReceipt(taskId);
        if (output.length > MAX_INLINE_BYTES) revert TaskMarketPayloadTooLarge(output.length, MAX_INLINE_BYTES);
        uint64 challengeDeadline = uint64(block.timestamp) + _params.challengeWindow;
        t.state = TaskState.Committed;
        t.deadline = challengeDeadline;
        emit TaskCommitted(taskId, msg.sender, receiptHash, outputHash, challengeDeadline, output, outputURI);
    }

    /// @notice Times out an assigned task whose commit deadline passed: refund + the node's bid lock to the requester.
    function timeoutTask(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Assigned);
        if (block.timestamp <= t.deadline) revert TaskMarketWindowOpen(taskId, t.deadline);
        Bid memory bid = _bids[taskId][t.assignedBid];
        // Staking.slash takes min(amount, bonded + unbonding); computing it first keeps all effects before calls
        uint96 slashed = _slashable(bid.node, bid.price);
        t.state = TaskState.TimedOut;
        _credit(requesterOf(taskId), t.maxPrice + slashed);
        _recordTimedOut(bid.node);
        emit TaskTimedOut(taskId, bid.node, t.maxPrice, slashed);
        _staking.unlock(bid.node, bid.price);
        _slash(bid.node, slashed);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Finalizes a committed, unchallenged task after its challenge window (anyone may call).
    function finalizeTask(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Committed);
        if (block.timestamp <= t.deadline) revert TaskMarketWindowOpen(taskId, t.deadline);
        _settle(taskId, t);
    }

    /// @notice Withdraws everything the market owes the caller.
    function withdraw() external nonReentrant {
        uint96 amount = _takeOwed(msg.sender); // effect before the transfer
        if (amount == 0) revert TaskMarketNothingOwed(msg.sender);
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- challenges

    /**
     * @notice Challenges a committed task within its window, posting the challenge bond (needs an allowance).
     * The caller must be a staked node other than the task's node. Draws the jury.
     */
    function challenge(uint256 taskId, bytes32 evidenceHash) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Committed);
        if (block.timestamp > t.deadline) revert TaskMarketDeadlinePassed(taskId, t.deadline);
        address node = _bids[taskId][t.assignedBid].node;
        if (msg.sender == node) revert TaskMarketUnauthorized(taskId, msg.sender);
        uint96 staked = _staking.stakedOf(msg.sender);
        uint96 minStake = _staking.minStake();
        if (staked < minStake) revert TaskMarketNotStaked(msg.sender, staked, minStake);
        Parameters memory p = _params;
        t.state = TaskState.Challenged;
        (Challenge storage c, address[] storage jurors) = _openChallenge(
            taskId, node, msg.sender, p.challengeBond, _staking, p.jurySize, p.voteCommitWindow, p.voteRevealWindow
        );
        emit TaskChallenged(
            taskId, msg.sender, node, c.bond, evidenceHash, c.commitDeadline, c.revealDeadline, jurors
        );
        _staking.setDisputed(node, true);
        _token.safeTransferFrom(msg.sender, address(this), c.bond);
    }

    /// @notice Resolves a challenge once voting is over (anyone may call).
    function resolveChallenge(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Challenged);
        (Challenge storage c, Verdict verdict) = _closeChallenge(taskId);
        Bid memory bid = _bids[taskId][t.assignedBid];
        uint96 bond = c.bond;
        if (verdict == Verdict.NodeSlashed) {
            // effects first: the slash is computed from the node's stake (Staking caps it the same way)
            Staking.NodeStake memory s = _staking.stakeOf(bid.node);
            uint96 slashed = uint96((uint256(s.staked) + s.unbonding) * _params.slashBps / _BPS);
            uint96 fee = uint96(uint256(slashed) * _params.finderFeeBps / _BPS);
            t.state = TaskState.Slashed;
            _credit(requesterOf(taskId), t.maxPrice);
            _recordSlashed(bid.node);
            _credit(c.challenger, bond + fee);
            _credit(owner(), slashed - fee);
            emit ChallengeResolved(taskId, verdict, c.guiltyVotes, c.innocentVotes, slashed, fee);
            _staking.setDisputed(bid.node, false);
            _staking.unlock(bid.node, bid.price);
            _slash(bid.node, slashed);
        } else {
            if (verdict == Verdict.NodeRight) {
                _credit(bid.node, _rewardMajority(taskId, false, bond, c.innocentVotes));
            } else {
                _credit(c.challenger, bond);
            }
            emit ChallengeResolved(taskId, verdict, c.guiltyVotes, c.innocentVotes, 0, 0);
            _settle(taskId, t);
            _staking.setDisputed(bid.node, false);
        }
    }

    // ---------------------------------------------------------------- owner

    /// @notice Replaces the parameters (bounds in the contract doc of {Parameters}).
    function setParameters(Parameters calldata params_) external onlyOwner {
        _setParameters(params_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDisputeSpan
    function disputeSpan() public view returns (uint256) {
        return uint256(_params.challengeWindow) + _params.voteCommitWindow + _params.voteRevealWindow;
    }

    /// @notice The escrow token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The staking contract.
    function staking() external view returns (Staking) {
        return _staking;
    }

    /// @notice Current parameters.
    function parameters() external view returns (Parameters memory) {
        return _params;
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
        if (uint8(t.state) < uint8(TaskState.Assigned) || t.state == TaskState.Cancelled) return (address(0), 0);
        Bid storage b = _bids[taskId][t.assignedBid];
        return (b.node, b.price);
    }

    /// @notice The requester of `taskId`, encoded in the id's high 160 bits.
    function requesterOf(uint256 taskId) public pure returns (address) {
        return address(uint160(taskId >> 96));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Pays the node, refunds the rest of the escrow and releases the node's stake lock.
    function _settle(uint256 taskId, Task storage t) private {
        Bid memory bid = _bids[taskId][t.assignedBid];
        uint96 refund = t.maxPrice - bid.price;
        t.state = TaskState.Finalized;
        _recordCompleted(bid.node, bid.price);
        _credit(requesterOf(taskId), refund);
        emit TaskFinalized(taskId, bid.node, bid.price, refund);
        _staking.unlock(bid.node, bid.price);
    }

    /// @dev What `Staking.slash(node, amount)` will take: `amount` capped at the node's bonded + unbonding stake.
    function _slashable(address node, uint96 amount) private view returns (uint96) {
        Staking.NodeStake memory s = _staking.stakeOf(node);
        uint256 total = uint256(s.staked) + s.unbonding;
        return amount < total ? amount : uint96(total);
    }

    /// @dev Slashes exactly `amount` (already credited) into the market.
    function _slash(address node, uint96 amount) private {
        uint96 taken = _staking.slash(node, amount, address(this));
        if (taken != amount) revert TaskMarketSlashMismatch(amount, taken);
    }

    function _requireState(uint256 taskId, Task storage t, TaskState expected) private view {
        if (t.state != expected) revert TaskMarketInvalidState(taskId, t.state);
    }

    function _setParameters(Parameters memory p) private {
        if (
            p.challengeWindow < MIN_WINDOW || p.challengeWindow > MAX_WINDOW || p.voteCommitWindow < MIN_WINDOW
                || p.voteCommitWindow > MAX_WINDOW || p.voteRevealWindow < MIN_WINDOW || p.voteRevealWindow > MAX_WINDOW
                || p.challengeBond == 0 || p.challengeBond > MAX_CHALLENGE_BOND || p.slashBps == 0 || p.slashBps > _BPS
                || p.finderFeeBps > _BPS || p.jurySize == 0 || p.jurySize > MAX_JURY_SIZE || p.jurySize % 2 == 0
                || p.maxBids == 0 || p.maxBids > MAX_BIDS
                || uint256(p.challengeWindow) + p.voteCommitWindow + p.voteRevealWindow >= _staking.unbondingPeriod()
        ) revert TaskMarketInvalidParameters(p);
        _params = p;
        emit ParametersUpdated(p);
    }
}

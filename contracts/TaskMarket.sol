// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Staking} from "./Staking.sol";
import {MarketCore} from "./MarketCore.sol";
import {MarketViews} from "./MarketViews.sol";
import {SignedBids} from "./SignedBids.sol";

/**
 * @title TaskMarket
 * @notice Inference task market: requesters post tasks with $POCKET in escrow, staked nodes bid (on chain, or
 * off chain as EIP-712 signatures the requester submits with the assignment), the requester assigns a bid, the
 * node commits a receipt hash + output, anyone staked (or the requester) may challenge within the window
 * ({TaskDisputes}, reached through {MarketExtension}), otherwise the task finalizes and pays the node and refunds the requester in the same call.
 * @dev Defences in brief (README "Marketplace defences"): parameters are versioned per task and timelocked;
 * a bid locks at least `bidBondBps` of the max price, and a cheaper bid replaces the dearest on a full task;
 * requesters cannot bid on their own tasks; an assignment exposes the node (see {NodeLedger}); timeout
 * compensation vests over the unbonding period, so it is never a faster exit than unbonding. It implements
 * the {IMarketHooks} views {Staking} reads (through {NodeLedger} and {MarketParameters}).
 */
contract TaskMarket is SignedBids, MarketViews {
    using SafeERC20 for IERC20;



    address private immutable _extension;

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
    /// @notice Emitted when the requester assigns `taskId` to `node` at `price`; commit due by `commitDeadline`.
    /// A signed bid appears only here (its `bidIndex` is new).
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
    /// @notice Emitted when an unassigned task is cancelled; the requester is owed `refund`.
    event TaskCancelled(uint256 indexed taskId, uint96 refund);
    /// @notice Emitted when `node` missed the commit deadline; its bid lock (`slashed`) vests to the requester.
    event TaskTimedOut(uint256 indexed taskId, address indexed node, uint96 refund, uint96 slashed);
    /// @notice Emitted when `account` withdraws `amount` it was owed.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice `price` is zero or above `maxPrice`.
    error TaskMarketInvalidPrice(uint256 price, uint256 maxPrice);
    /// @notice The bid deadline or the execution window is out of bounds.
    error TaskMarketInvalidDeadline(uint64 bidDeadline, uint32 execWindow);
    /// @notice `taskId` has `maxBids` bids and the new one is not cheaper than the dearest.
    error TaskMarketTooManyBids(uint256 taskId, uint8 maxBids);
    /// @notice `node` already bid on `taskId`.
    error TaskMarketDuplicateBid(uint256 taskId, address node);
    /// @notice `bidIndex` is not a bid of `taskId`.
    error TaskMarketInvalidBid(uint256 taskId, uint256 bidIndex);
    /// @notice The requester `account` bid on its own task.
    error TaskMarketSelfDealing(uint256 taskId, address account);
    /// @notice A zero receipt hash was committed.
    error TaskMarketInvalidReceipt(uint256 taskId);
    /// @notice The quote was already used (its task exists).
    error TaskMarketQuoteUsed(uint256 taskId);
    /// @notice The signed bid expired at `expiry`.
    error TaskMarketBidExpired(uint256 taskId, uint64 expiry);
    /// @notice `account` is owed nothing.
    error TaskMarketNothingOwed(address account);

    /**
     * @param token_ The $POCKET token (escrow, bonds, payments).
     * @param staking_ Node stake: slashing and the juror pool.
     * @param owner_ Proposes parameter changes (timelocked, bounded).
     * @param params_ Initial parameters (version 1).
     * @param treasury_ Receives protocol revenue (slash remainder, unclaimed penalties).
     * @param extension_ The {MarketExtension} deployed with the same arguments.
     */
    constructor(
        IERC20 token_,
        Staking staking_,
        address owner_,
        Parameters memory params_,
        address treasury_,
        address extension_
    ) MarketCore(token_, staking_, owner_, params_, treasury_) {
        _extension = extension_;
    }

    /// @notice Challenges, jury votes and governance ({MarketExtension}) run on this contract's storage.
    fallback() external {
        address ext = _extension;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), ext, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ---------------------------------------------------------------- requester

    /// @notice Posts a task and escrows `p.maxPrice` from the caller (needs an allowance or a prior permit).
    function postTask(PostTaskParams calldata p) external nonReentrant returns (uint256 taskId) {
        _checkSpec(p);
        if (p.bidDeadline <= block.timestamp || p.bidDeadline > block.timestamp + MAX_WINDOW) {
            revert TaskMarketInvalidDeadline(p.bidDeadline, p.execWindow);
        }
        // cannot collide with another posted id: the low 96 bits are a counter that never repeats
        taskId = (uint256(uint160(msg.sender)) << 96) | ++_taskCount;
        _storeTask(taskId, p, p.bidDeadline, TaskState.Posted);
        _emitPosted(taskId, p);
        _token.safeTransferFrom(msg.sender, address(this), p.maxPrice);
    }

    /**
     * @notice Posts a task already assigned to the node that signed the EIP-712 `Quote` for it (requester,
     * model, input, sampling params hash, seed, exec window, price = `p.maxPrice`, expiry): bids were
     * collected off chain before posting, so post, bid and assignment take one transaction and the escrow is
     * exactly the price. The task id's low 96 bits come from the quote digest, so a quote is used once.
     */
    function postTaskWithQuote(PostTaskParams calldata p, uint64 expiry, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 taskId)
    {
        _checkSpec(p);
        if (block.timestamp > expiry) revert TaskMarketBidExpired(0, expiry);
        bytes32 digest = quoteDigest(msg.sender, p, expiry);
        address node = ECDSA.recover(digest, signature);
        if (node == msg.sender) revert TaskMarketSelfDealing(0, node);
        taskId = (uint256(uint160(msg.sender)) << 96) | uint96(uint256(digest));
        if (_tasks[taskId].state != TaskState.None) revert TaskMarketQuoteUsed(taskId);
        uint64 commitDeadline = uint64(block.timestamp) + p.execWindow;
        Task storage t = _storeTask(taskId, p, commitDeadline, TaskState.Assigned);
        _bids[taskId][0] = Bid({node: node, price: p.maxPrice});
        _emitPosted(taskId, p);
        emit TaskAssigned(taskId, node, 0, p.maxPrice, commitDeadline);
        _lockAssigned(node, t, _bidLock(t, p.maxPrice), commitDeadline);
        _token.safeTransferFrom(msg.sender, address(this), p.maxPrice);
    }

    function _storeTask(uint256 taskId, PostTaskParams calldata p, uint64 deadline, TaskState state)
        private
        returns (Task storage t)
    {
        uint16 version = _currentVersion();
        t = _tasks[taskId];
        _tasks[taskId] = Task({
            maxPrice: p.maxPrice,
            deadline: deadline,
            execWindow: p.execWindow,
            state: state,
            bidCount: state == TaskState.Assigned ? 1 : 0,
            assignedBid: 0,
            version: version,
            bidBondBps: _params(version).bidBondBps
        });
    }

    function _checkSpec(PostTaskParams calldata p) private pure {
        if (p.maxPrice == 0) revert TaskMarketInvalidPrice(0, 0);
        if (p.execWindow < MIN_WINDOW || p.execWindow > MAX_WINDOW) {
            revert TaskMarketInvalidDeadline(p.bidDeadline, p.execWindow);
        }
        _checkSize(p.input.length, MAX_INLINE_BYTES);
        _checkSize(bytes(p.inputURI).length, MAX_URI_BYTES);
        _checkSize(p.samplingParams.length, MAX_SAMPLING_BYTES);
    }

    function _emitPosted(uint256 taskId, PostTaskParams calldata p) private {
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
    }

    /// @notice Assigns `taskId` to on-chain bid `bidIndex` and releases the other bids' stake locks.
    function assignTask(uint256 taskId, uint8 bidIndex) external {
        Task storage t = _openTask(taskId);
        if (msg.sender != requesterOf(taskId)) revert TaskMarketUnauthorized(taskId, msg.sender);
        if (bidIndex >= t.bidCount) revert TaskMarketInvalidBid(taskId, bidIndex);
        Bid memory bid = _bids[taskId][bidIndex];
        uint64 commitDeadline = _markAssigned(taskId, t, bidIndex, bid);
        _lockAssigned(bid.node, t, 0, commitDeadline); // the bid already holds its lock
    }

    /**
     * @notice Assigns `taskId` to the node that signed the EIP-712 bid `Bid(taskId, price, expiry)`; its stake
     * is locked now. Cheaper than an on-chain bid plus {assignTask}: the losing bids never touch the chain.
     */
    function assignSignedBid(uint256 taskId, uint96 price, uint64 expiry, bytes calldata signature) external {
        Task storage t = _openTask(taskId);
        if (msg.sender != requesterOf(taskId)) revert TaskMarketUnauthorized(taskId, msg.sender);
        if (block.timestamp > expiry) revert TaskMarketBidExpired(taskId, expiry);
        if (price == 0 || price > t.maxPrice) revert TaskMarketInvalidPrice(price, t.maxPrice);
        address node = ECDSA.recover(bidDigest(taskId, price, expiry), signature);
        if (node == msg.sender) revert TaskMarketSelfDealing(taskId, node);
        uint8 bidIndex = t.bidCount;
        Bid memory bid = Bid({node: node, price: price});
        _bids[taskId][bidIndex] = bid;
        t.bidCount = bidIndex + 1;
        uint64 commitDeadline = _markAssigned(taskId, t, bidIndex, bid);
        _lockAssigned(node, t, _bidLock(t, price), commitDeadline);
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
        _releaseBids(taskId, t, type(uint256).max);
    }

    // ---------------------------------------------------------------- node

    /**
     * @notice Bids `price` on `taskId`; locks max(price, bid bond) of the caller's free stake until the bid
     * resolves. On a full task the bid must be cheaper than the dearest one, which it replaces.
     */
    function placeBid(uint256 taskId, uint96 price) external returns (uint8 bidIndex) {
        Task storage t = _openTask(taskId);
        if (price == 0 || price > t.maxPrice) revert TaskMarketInvalidPrice(price, t.maxPrice);
        if (msg.sender == requesterOf(taskId)) revert TaskMarketSelfDealing(taskId, msg.sender);
        uint8 count = t.bidCount;
        uint8 maxBids = _params(t.version).maxBids;
        Bid[17] storage bids = _bids[taskId];
        uint256 dearest;
        for (uint256 i; i < count; ++i) {
            if (bids[i].node == msg.sender) revert TaskMarketDuplicateBid(taskId, msg.sender);
            if (bids[i].price > bids[dearest].price) dearest = i;
        }
        if (count < maxBids) {
            bidIndex = count;
            t.bidCount = count + 1;
        } else {
            Bid memory old = bids[dearest];
            if (price >= old.price) revert TaskMarketTooManyBids(taskId, maxBids);
            bidIndex = uint8(dearest);
            emit BidRemoved(taskId, old.node, bidIndex, old.price);
            _unlock(old.node, _bidLock(t, old.price));
        }
        bids[bidIndex] = Bid({node: msg.sender, price: price});
        emit BidPlaced(taskId, msg.sender, bidIndex, price);
        (uint96 staked,) = _stakeOf(msg.sender);
        _lock(msg.sender, _bidLock(t, price), staked, 0, 0);
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
        _checkSize(output.length, MAX_INLINE_BYTES);
        _checkSize(bytes(outputURI).length, MAX_URI_BYTES);
        uint64 challengeDeadline = uint64(block.timestamp) + _params(t.version).challengeWindow;
        t.state = TaskState.Committed;
        t.deadline = challengeDeadline;
        emit TaskCommitted(taskId, msg.sender, receiptHash, outputHash, challengeDeadline, output, outputURI);
    }

    /**
     * @notice Times out an assigned task whose commit deadline passed: the escrow back to the requester now,
     * the node's bid lock slashed to the requester as compensation that vests over the unbonding period.
     */
    function timeoutTask(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Assigned);
        if (block.timestamp <= t.deadline) revert TaskMarketWindowOpen(taskId, t.deadline);
        Bid memory bid = _bids[taskId][t.assignedBid];
        uint96 lock = _bidLock(t, bid.price);
        Staking.NodeStake memory s = _staking.stakeOf(bid.node);
        uint256 total = uint256(s.staked) + s.unbonding;
        uint96 slashed = lock < total ? lock : uint96(total); // what Staking.slash will take
        address requester = requesterOf(taskId);
        t.state = TaskState.TimedOut;
        _credit(requester, t.maxPrice);
        _creditVesting(requester, slashed, uint64(block.timestamp + _staking.unbondingPeriod()));
        _recordTimedOut(bid.node);
        emit TaskTimedOut(taskId, bid.node, t.maxPrice, slashed);
        _unlock(bid.node, lock);
        _slash(bid.node, slashed);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Finalizes a committed, unchallenged task after its window: pays the node, refunds the rest.
    function finalizeTask(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Committed);
        if (block.timestamp <= t.deadline) revert TaskMarketWindowOpen(taskId, t.deadline);
        _settle(taskId, t);
    }

    /// @notice Withdraws everything the market owes the caller now (credits and matured compensation).
    function withdraw() external nonReentrant {
        uint96 amount = _takeOwed(msg.sender); // effect before the transfer
        if (amount == 0) revert TaskMarketNothingOwed(msg.sender);
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    // ---------------------------------------------------------------- internals

    /// @dev The posted task `taskId`, still inside its bid deadline.
    function _openTask(uint256 taskId) private view returns (Task storage t) {
        t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Posted);
        if (block.timestamp > t.deadline) revert TaskMarketDeadlinePassed(taskId, t.deadline);
    }

    /// @dev Moves `t` to Assigned on bid `bidIndex`, releases the other bids; returns the commit deadline.
    function _markAssigned(uint256 taskId, Task storage t, uint8 bidIndex, Bid memory bid)
        private
        returns (uint64 commitDeadline)
    {
        commitDeadline = uint64(block.timestamp) + t.execWindow;
        t.state = TaskState.Assigned;
        t.assignedBid = bidIndex;
        t.deadline = commitDeadline;
        emit TaskAssigned(taskId, bid.node, bidIndex, bid.price, commitDeadline);
        _releaseBids(taskId, t, bidIndex);
    }

    /// @dev Unlocks the on-chain bids of `taskId` except `keep`.
    function _releaseBids(uint256 taskId, Task storage t, uint256 keep) private {
        Bid[17] storage bids = _bids[taskId];
        uint256 n = t.bidCount;
        for (uint256 i; i < n; ++i) {
            if (i != keep) _unlock(bids[i].node, _bidLock(t, bids[i].price));
        }
    }

}

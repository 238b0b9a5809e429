// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MarketCore} from "./MarketCore.sol";

/**
 * @title TaskDisputes
 * @notice Challenges of committed tasks: seed commitment with the bond, jury draw on the seed reveal,
 * resolution with payouts. Any staked node except the task's node, or the task's requester without stake,
 * may challenge.
 * @dev Payouts: a guilty verdict slashes the node (see {MarketCore-_verdictSlash}); the challenger gets its
 * bond back plus the finder's fee, the guilty-voting jurors share the juror reward, the treasury the rest.
 * An innocent verdict gives the bond to the innocent-voting jurors. A tie or no quorum costs the challenger
 * `undecidedFeeBps` of its bond, paid to the frozen node. Non-revealing jurors' penalties go to the jurors
 * who voted with the verdict (every revealer when undecided), else the treasury. Deployed inside
 * {MarketExtension}: the market delegates these calls, so storage and events are the market's.
 */
abstract contract TaskDisputes is MarketCore {
    using SafeERC20 for IERC20;

    /// @notice Emitted when `challenger` disputes `taskId` with `bond`, committing `seedHash` (reveal by `revealBy`).
    event ChallengeCommitted(
        uint256 indexed taskId,
        address indexed challenger,
        address indexed node,
        uint96 bond,
        bytes32 seedHash,
        uint64 revealBy
    );
    /// @notice Emitted when the seed is revealed and `jurors` drawn; they vote until the deadlines.
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

    /**
     * @notice Challenges a committed task within its window, posting the bond (needs an allowance) and
     * committing `seedHash = seedCommitment(taskId, caller, secret)`; reveal with {challenge} in a later block.
     */
    function commitChallenge(uint256 taskId, bytes32 seedHash) external nonReentrant {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.Committed);
        if (block.timestamp > t.deadline) revert TaskMarketDeadlinePassed(taskId, t.deadline);
        address node = _bids[taskId][t.assignedBid].node;
        if (msg.sender == node) revert TaskMarketUnauthorized(taskId, msg.sender);
        // the requester may dispute without running a node; anyone else must be staked
        if (msg.sender != requesterOf(taskId)) {
            uint96 staked = _staking.stakedOf(msg.sender);
            uint96 minStake = _staking.minStake();
            if (staked < minStake) revert TaskMarketNotStaked(msg.sender, staked, minStake);
        }
        Parameters storage p = _params(t.version);
        uint96 bond = p.challengeBond;
        uint64 revealBy = uint64(block.timestamp) + p.voteCommitWindow;
        t.state = TaskState.ChallengePending;
        _openChallenge(taskId, msg.sender, bond, seedHash, revealBy);
        emit ChallengeCommitted(taskId, msg.sender, node, bond, seedHash, revealBy);
        _setDisputed(node, true);
        _token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @notice Reveals the challenger's `secret` (in a later block than the commitment) and draws the jury.
    function challenge(uint256 taskId, bytes32 evidenceHash, bytes32 secret) external {
        Task storage t = _tasks[taskId];
        _requireState(taskId, t, TaskState.ChallengePending);
        Challenge storage c = _challenge(taskId);
        address challenger = c.challenger;
        if (msg.sender != challenger) revert TaskMarketUnauthorized(taskId, msg.sender);
        address node = _bids[taskId][t.assignedBid].node;
        Parameters storage p = _params(t.version);
        uint64 openedAt = c.commitDeadline - p.voteCommitWindow;
        uint64 joinedBefore = openedAt > p.minStakeAge ? openedAt - p.minStakeAge : 0;
        address[3] memory exclude = [node, challenger, requesterOf(taskId)];
        t.state = TaskState.Challenged;
        (, address[] storage jurors) = _drawJury(
            taskId, secret, _staking, exclude, joinedBefore, p.jurySize, p.voteCommitWindow, p.voteRevealWindow
        );
        emit TaskChallenged(
            taskId, challenger, node, c.bond, evidenceHash, c.commitDeadline, c.revealDeadline, jurors
        );
    }

    /// @notice Resolves a challenge once voting is over, or one whose seed was never revealed (anyone may call).
    function resolveChallenge(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        Bid memory bid = _bids[taskId][t.assignedBid];
        if (t.state == TaskState.ChallengePending) {
            Challenge storage pending = _challenge(taskId);
            if (block.timestamp <= pending.commitDeadline) {
                revert TaskMarketWindowOpen(taskId, pending.commitDeadline);
            }
            _credit(bid.node, pending.bond); // the challenger walked away: the frozen node keeps the bond
            emit ChallengeResolved(taskId, Verdict.Abandoned, 0, 0, 0, 0);
            _setDisputed(bid.node, false);
            _settle(taskId, t);
            return;
        }
        _requireState(taskId, t, TaskState.Challenged);
        Parameters memory p = _params(t.version);
        (Challenge storage c, Verdict verdict) = _closeChallenge(taskId);
        // interactions with the trusted Staking contract; this entry point is nonReentrant
        uint96 penalties = _penalizeAbsent(taskId, p.jurorPenalty);
        uint96 bond = c.bond;
        if (verdict == Verdict.NodeSlashed) {
            uint96 lock = _bidLock(t, bid.price);
            uint96 slashed = _verdictSlash(bid.node, lock, p.slashBps);
            uint96 fee = uint96(uint256(slashed) * p.finderFeeBps / _BPS);
            uint96 jurorReward = uint96(uint256(slashed) * p.jurorRewardBps / _BPS);
            t.state = TaskState.Slashed;
            _credit(requesterOf(taskId), t.maxPrice);
            _recordSlashed(bid.node);
            _credit(c.challenger, bond + fee);
            uint96 rest = _rewardJurors(taskId, false, true, jurorReward + penalties);
            _credit(_treasuryOf(t.version), slashed - fee - jurorReward + rest);
            emit ChallengeResolved(taskId, verdict, c.guiltyVotes, c.innocentVotes, slashed, fee);
            _setDisputed(bid.node, false);
            _unlock(bid.node, lock);
            _consumeReserve(bid.node, slashed);
            _slash(bid.node, slashed);
            return;
        }
        uint96 nodeFee; // Undecided: the part of the bond the frozen node gets (reported as `finderFee`)
        if (verdict == Verdict.NodeRight) {
            _credit(bid.node, _rewardJurors(taskId, false, false, bond + penalties)); // rounding dust
        } else {
            nodeFee = uint96(uint256(bond) * p.undecidedFeeBps / _BPS);
            _credit(c.challenger, bond - nodeFee);
            _credit(bid.node, nodeFee);
            _credit(_treasuryOf(t.version), _rewardJurors(taskId, true, false, penalties));
        }
        emit ChallengeResolved(taskId, verdict, c.guiltyVotes, c.innocentVotes, 0, nodeFee);
        _setDisputed(bid.node, false);
        _settle(taskId, t);
    }

    // ---------------------------------------------------------------- jurors

    /// @notice Commits a hidden vote: `commitment = voteCommitment(taskId, juror, nodeGuilty, salt)`.
    function commitVote(uint256 taskId, bytes32 commitment) external {
        Challenge storage c = _challenges[taskId];
        Ballot storage b = _juryBallot(taskId, msg.sender);
        if (block.timestamp > c.commitDeadline || b.commitment != bytes32(0)) {
            revert JuryCourtCommitClosed(taskId, c.commitDeadline);
        }
        b.commitment = commitment;
        emit VoteCommitted(taskId, msg.sender, commitment);
    }

    /// @notice Reveals a committed vote after the commit phase.
    function revealVote(uint256 taskId, bool nodeGuilty, bytes32 salt) external {
        Challenge storage c = _challenges[taskId];
        Ballot storage b = _juryBallot(taskId, msg.sender);
        if (block.timestamp <= c.commitDeadline || block.timestamp > c.revealDeadline) {
            revert JuryCourtRevealClosed(taskId, c.commitDeadline, c.revealDeadline);
        }
        if (b.revealed || b.commitment != _voteCommitment(taskId, msg.sender, nodeGuilty, salt)) {
            revert JuryCourtInvalidReveal(taskId, msg.sender);
        }
        b.revealed = true;
        b.guilty = nodeGuilty;
        // cannot overflow: at most MAX_JURY_SIZE reveals
        unchecked {
            ++c.reveals;
            if (nodeGuilty) ++c.guiltyVotes;
            else ++c.innocentVotes;
        }
        emit VoteRevealed(taskId, msg.sender, nodeGuilty);
    }

    /// @notice The commitment a juror submits for a vote.
    function voteCommitment(uint256 taskId, address juror, bool nodeGuilty, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return _voteCommitment(taskId, juror, nodeGuilty, salt);
    }

    /// @notice The seed commitment a challenger posts with its bond.
    function seedCommitment(uint256 taskId, address challenger, bytes32 secret) public pure returns (bytes32) {
        return _seedCommitment(taskId, challenger, secret);
    }

    /// @notice The challenge record of `taskId` (zero if never challenged).
    function challengeOf(uint256 taskId) external view returns (Challenge memory) {
        return _challenges[taskId];
    }

    /// @notice The jurors drawn for `taskId`.
    function jurorsOf(uint256 taskId) external view returns (address[] memory) {
        return _jurors[taskId];
    }

    /// @notice The ballot of `juror` on `taskId`.
    function ballotOf(uint256 taskId, address juror) external view returns (Ballot memory) {
        return _ballots[taskId][juror];
    }
}

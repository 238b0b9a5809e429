// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reputation} from "./Reputation.sol";
import {Staking} from "./Staking.sol";

/**
 * @title JuryCourt
 * @notice Challenge juries of the task market: a small jury drawn among staked nodes votes commit-reveal
 * on whether the challenged node cheated.
 * @dev The draw is pseudo-random from `block.prevrandao` and the previous block hash. It is NOT
 * manipulation-proof: a block proposer, or a challenger choosing when to send the transaction, can bias it.
 * It walks `jurySize + 2` consecutive pool entries from a random start, skipping the node and the challenger,
 * so the loop is bounded and the jurors are distinct. Jurors who do not reveal simply do not count (an
 * event records them); a tie, including no reveal at all, is "undecided".
 */
abstract contract JuryCourt is Reputation {
    /// @notice Hard upper bound for the jury size parameter.
    uint256 public constant MAX_JURY_SIZE = 15;

    /// @notice How a challenge ended.
    enum Verdict {
        None,
        Undecided, // tie or no reveal: bond back, node paid
        NodeRight, // majority innocent: bond shared by the majority jurors, node paid
        NodeSlashed // majority guilty: node slashed, finder's fee + bond back to the challenger
    }

    struct Challenge {
        address challenger;
        uint96 bond;
        uint64 commitDeadline; // votes committed until then
        uint64 revealDeadline; // votes revealed after commitDeadline until then
        uint8 jurySize;
        uint8 reveals;
        uint8 guiltyVotes;
        uint8 innocentVotes;
    }

    struct Ballot {
        bytes32 commitment;
        bool drawn;
        bool revealed;
        bool guilty;
    }

    mapping(uint256 taskId => Challenge) private _challenges;
    mapping(uint256 taskId => address[]) private _jurors;
    mapping(uint256 taskId => mapping(address juror => Ballot)) private _ballots;

    /// @notice Emitted when juror `juror` commits `commitment` for the challenge of `taskId`.
    event VoteCommitted(uint256 indexed taskId, address indexed juror, bytes32 commitment);
    /// @notice Emitted when `juror` reveals its vote (`nodeGuilty`) on `taskId`.
    event VoteRevealed(uint256 indexed taskId, address indexed juror, bool nodeGuilty);
    /// @notice Emitted at resolution for every juror who did not reveal.
    event JurorAbsent(uint256 indexed taskId, address indexed juror);
    /// @notice Emitted when a majority juror receives `amount` of a lost bond.
    event JurorRewarded(uint256 indexed taskId, address indexed juror, uint96 amount);

    /// @notice The pool has `available` eligible nodes but the jury needs `needed` (node and challenger excluded).
    error JuryCourtNotEnoughJurors(uint256 available, uint256 needed);
    /// @notice `account` is not on the jury of `taskId`.
    error JuryCourtNotJuror(uint256 taskId, address account);
    /// @notice The commit phase of `taskId` ended at `deadline`, or the juror already committed.
    error JuryCourtCommitClosed(uint256 taskId, uint64 deadline);
    /// @notice Reveals for `taskId` are accepted only in (`opensAfter`, `closesAt`].
    error JuryCourtRevealClosed(uint256 taskId, uint64 opensAfter, uint64 closesAt);
    /// @notice The reveal does not match the commitment, or was already made.
    error JuryCourtInvalidReveal(uint256 taskId, address juror);
    /// @notice Voting on `taskId` is still open until `revealDeadline`.
    error JuryCourtVotingOpen(uint256 taskId, uint64 revealDeadline);

    /**
     * @notice Commits a hidden vote: `commitment = voteCommitment(taskId, juror, nodeGuilty, salt)`.
     */
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
        if (b.revealed || b.commitment != voteCommitment(taskId, msg.sender, nodeGuilty, salt)) {
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
        return keccak256(abi.encode(taskId, juror, nodeGuilty, salt));
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

    // ---------------------------------------------------------------- internals for the market

    /// @dev Records the challenge and draws its jury from `staking`'s active pool.
    function _openChallenge(
        uint256 taskId,
        address node,
        address challenger,
        uint96 bond,
        Staking staking,
        uint8 jurySize,
        uint64 commitWindow,
        uint64 revealWindow
    ) internal returns (Challenge storage c, address[] storage jurors) {
        c = _challenges[taskId];
        c.challenger = challenger;
        c.bond = bond;
        c.commitDeadline = uint64(block.timestamp) + commitWindow;
        c.revealDeadline = c.commitDeadline + revealWindow;
        c.jurySize = jurySize;
        jurors = _jurors[taskId];
        _drawJury(taskId, node, challenger, staking, jurySize, jurors);
    }

    /// @dev Fills `jurors` with `jurySize` distinct active nodes other than `node` and `challenger`.
    function _drawJury(
        uint256 taskId,
        address node,
        address challenger,
        Staking staking,
        uint256 jurySize,
        address[] storage jurors
    ) private {
        uint256 n = staking.activeNodeCount();
        uint256 eligible = n - (staking.isActive(node) ? 1 : 0) - (staking.isActive(challenger) ? 1 : 0);
        if (eligible < jurySize) revert JuryCourtNotEnoughJurors(eligible, jurySize);
        uint256 start = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), taskId))) % n;
        mapping(address => Ballot) storage ballots = _ballots[taskId];
        // bounded: at most two pool entries are skipped, so jurySize + 2 steps always fill the jury
        for (uint256 step; step < jurySize + 2 && jurors.length < jurySize; ++step) {
            address candidate = staking.activeNodeAt((start + step) % n);
            if (candidate != node && candidate != challenger) {
                jurors.push(candidate);
                ballots[candidate].drawn = true;
            }
        }
    }

    /// @dev Ends voting on `taskId` (after the reveal deadline, or once every juror revealed) and tallies.
    function _closeChallenge(uint256 taskId) internal returns (Challenge storage c, Verdict verdict) {
        c = _challenges[taskId];
        if (c.reveals < c.jurySize && block.timestamp <= c.revealDeadline) {
            revert JuryCourtVotingOpen(taskId, c.revealDeadline);
        }
        address[] storage jurors = _jurors[taskId];
        for (uint256 i; i < jurors.length; ++i) {
            if (!_ballots[taskId][jurors[i]].revealed) emit JurorAbsent(taskId, jurors[i]);
        }
        if (c.guiltyVotes > c.innocentVotes) verdict = Verdict.NodeSlashed;
        else if (c.innocentVotes > c.guiltyVotes) verdict = Verdict.NodeRight;
        else verdict = Verdict.Undecided;
    }

    /// @dev Shares `pot` equally among jurors who revealed `guilty`; returns the undistributed remainder.
    function _rewardMajority(uint256 taskId, bool guilty, uint96 pot, uint8 winners) internal returns (uint96 rest) {
        uint96 share = pot / winners;
        rest = pot % winners;
        address[] storage jurors = _jurors[taskId];
        for (uint256 i; i < jurors.length; ++i) {
            Ballot storage b = _ballots[taskId][jurors[i]];
            if (b.revealed && b.guilty == guilty) {
                _credit(jurors[i], share);
                emit JurorRewarded(taskId, jurors[i], share);
            }
        }
    }

    function _juryBallot(uint256 taskId, address account) private view returns (Ballot storage b) {
        b = _ballots[taskId][account];
        if (!b.drawn) revert JuryCourtNotJuror(taskId, account);
    }
}

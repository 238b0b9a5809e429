// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reputation} from "./Reputation.sol";
import {Staking} from "./Staking.sol";

/**
 * @title JuryCourt
 * @notice Challenge juries of the task market: a small jury drawn among staked nodes votes commit-reveal on
 * whether the challenged node cheated.
 * @dev The draw seed is committed before and revealed after: the challenger commits `keccak(taskId,
 * challenger, secret)` with its bond, and reveals `secret` in a later block; the seed is
 * `keccak(secret, blockhash(commit block))`. At commit time nobody knows that block hash, and only the
 * challenger knows the secret, so neither the node nor the challenger can aim the draw; a challenger who
 * dislikes the revealed draw can only walk away, losing its bond to the node. Seats are stake-weighted
 * (see {Staking-drawJurors}), jurors must have been staked since `minStakeAge` before the challenge, and the
 * node, the challenger and the task's requester never sit. Jurors who do not reveal are penalized; a verdict
 * needs a quorum (a majority of the seats revealed).
 */
abstract contract JuryCourt is Reputation {
    /// @notice How a challenge ended.
    enum Verdict {
        None,
        Undecided, // tie or no quorum: part of the bond to the node, node paid
        NodeRight, // majority innocent: bond shared by the innocent-voting jurors, node paid
        NodeSlashed, // majority guilty: node slashed; finder's fee to the challenger, reward to guilty voters
        Abandoned // the challenger never revealed its seed: bond to the node, node paid
    }

    struct Challenge {
        address challenger;
        uint96 bond;
        uint64 commitDeadline; // seed reveal until then (pending); votes committed until then (drawn)
        uint64 revealDeadline; // votes revealed after commitDeadline until then
        uint64 seedBlock; // block of the seed commitment
        uint8 jurySize;
        uint8 reveals;
        uint8 guiltyVotes;
        uint8 innocentVotes;
        bytes32 seedHash;
    }

    struct Ballot {
        bytes32 commitment;
        bool drawn;
        bool revealed;
        bool guilty;
    }

    mapping(uint256 taskId => Challenge) internal _challenges;
    mapping(uint256 taskId => address[]) internal _jurors;
    mapping(uint256 taskId => mapping(address juror => Ballot)) internal _ballots;

    /// @notice Emitted when juror `juror` commits `commitment` for the challenge of `taskId`.
    event VoteCommitted(uint256 indexed taskId, address indexed juror, bytes32 commitment);
    /// @notice Emitted when `juror` reveals its vote (`nodeGuilty`) on `taskId`.
    event VoteRevealed(uint256 indexed taskId, address indexed juror, bool nodeGuilty);
    /// @notice Emitted at resolution for every juror who did not reveal; `penalty` was slashed from its stake.
    event JurorAbsent(uint256 indexed taskId, address indexed juror, uint96 penalty);
    /// @notice Emitted when a juror receives `amount` for voting with the verdict.
    event JurorRewarded(uint256 indexed taskId, address indexed juror, uint96 amount);

    /// @notice The pool has only `available` eligible nodes but the jury needs `needed`.
    error JuryCourtNotEnoughJurors(uint256 available, uint256 needed);
    /// @notice `account` is not on the jury of `taskId`.
    error JuryCourtNotJuror(uint256 taskId, address account);
    /// @notice The commit phase of `taskId` ended at `deadline`, or the juror already committed.
    error JuryCourtCommitClosed(uint256 taskId, uint64 deadline);
    /// @notice Reveals for `taskId` are accepted only in (`opensAfter`, `closesAt`].
    error JuryCourtRevealClosed(uint256 taskId, uint64 opensAfter, uint64 closesAt);
    /// @notice The reveal does not match the commitment, or was already made.
    error JuryCourtInvalidReveal(uint256 taskId, address juror);
    /// @notice Voting on `taskId` is still open until `deadline`.
    error JuryCourtVotingOpen(uint256 taskId, uint64 deadline);
    /// @notice The seed does not match the commitment, is revealed in its own block, or too late.
    error JuryCourtInvalidSeed(uint256 taskId);

    function _voteCommitment(uint256 taskId, address juror, bool nodeGuilty, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, juror, nodeGuilty, salt));
    }

    function _seedCommitment(uint256 taskId, address challenger, bytes32 secret) internal pure returns (bytes32) {
        return keccak256(abi.encode(taskId, challenger, secret));
    }

    // ---------------------------------------------------------------- internals for the market

    /// @dev Records a challenge whose seed is revealed by `revealBy`.
    function _openChallenge(uint256 taskId, address challenger, uint96 bond, bytes32 seedHash, uint64 revealBy)
        internal
    {
        Challenge storage c = _challenges[taskId];
        c.challenger = challenger;
        c.bond = bond;
        c.commitDeadline = revealBy;
        c.seedBlock = uint64(block.number);
        c.seedHash = seedHash;
    }

    /**
     * @dev Checks `secret` against the commitment and draws the jury, excluding `exclude` (node, challenger,
     * requester) and nodes active after `joinedBefore`.
     */
    function _drawJury(
        uint256 taskId,
        bytes32 secret,
        Staking staking,
        address[3] memory exclude,
        uint64 joinedBefore,
        uint8 jurySize,
        uint64 commitWindow,
        uint64 revealWindow
    ) internal returns (Challenge storage c, address[] storage jurors) {
        c = _challenges[taskId];
        bytes32 anchor = blockhash(c.seedBlock); // zero in the commit block itself and after 256 blocks
        if (
            anchor == bytes32(0) || block.timestamp > c.commitDeadline
                || c.seedHash != _seedCommitment(taskId, c.challenger, secret)
        ) revert JuryCourtInvalidSeed(taskId);
        address[] memory drawn =
            staking.drawJurors(keccak256(abi.encode(secret, anchor)), jurySize, exclude, joinedBefore);
        if (drawn.length < jurySize) revert JuryCourtNotEnoughJurors(drawn.length, jurySize);
        c.commitDeadline = uint64(block.timestamp) + commitWindow;
        c.revealDeadline = c.commitDeadline + revealWindow;
        c.jurySize = jurySize;
        jurors = _jurors[taskId];
        mapping(address => Ballot) storage ballots = _ballots[taskId];
        for (uint256 i; i < drawn.length; ++i) {
            jurors.push(drawn[i]);
            ballots[drawn[i]].drawn = true;
        }
    }

    /// @dev Ends voting on `taskId` (after the reveal deadline, or once every juror revealed) and tallies.
    function _closeChallenge(uint256 taskId) internal view returns (Challenge storage c, Verdict verdict) {
        c = _challenges[taskId];
        if (c.reveals < c.jurySize && block.timestamp <= c.revealDeadline) {
            revert JuryCourtVotingOpen(taskId, c.revealDeadline);
        }
        bool quorum = 2 * uint256(c.reveals) > c.jurySize;
        if (quorum && c.guiltyVotes > c.innocentVotes) verdict = Verdict.NodeSlashed;
        else if (quorum && c.innocentVotes > c.guiltyVotes) verdict = Verdict.NodeRight;
        else verdict = Verdict.Undecided;
    }

    /// @dev Penalizes every juror of `taskId` who did not reveal (up to `penalty` each); returns the total taken.
    function _penalizeAbsent(uint256 taskId, uint96 penalty) internal returns (uint96 total) {
        address[] storage jurors = _jurors[taskId];
        for (uint256 i; i < jurors.length; ++i) {
            if (!_ballots[taskId][jurors[i]].revealed) {
                uint96 taken = _penalizeJuror(jurors[i], penalty);
                total += taken;
                emit JurorAbsent(taskId, jurors[i], taken);
            }
        }
    }

    /**
     * @dev Shares `pot` equally among the jurors who revealed `guilty` (any vote when `anyVote`); returns
     * what was not shared (all of it when nobody qualifies, else the rounding remainder).
     */
    function _rewardJurors(uint256 taskId, bool anyVote, bool guilty, uint96 pot) internal returns (uint96 rest) {
        Challenge storage c = _challenges[taskId];
        uint256 winners = anyVote ? c.reveals : guilty ? c.guiltyVotes : c.innocentVotes;
        if (winners == 0 || pot == 0) return pot;
        uint96 share = uint96(pot / winners);
        rest = uint96(pot % winners);
        address[] storage jurors = _jurors[taskId];
        for (uint256 i; i < jurors.length; ++i) {
            Ballot storage b = _ballots[taskId][jurors[i]];
            if (b.revealed && (anyVote || b.guilty == guilty)) {
                _credit(jurors[i], share);
                emit JurorRewarded(taskId, jurors[i], share);
            }
        }
    }

    /// @dev Slashes up to `penalty` of a non-revealing juror's free stake into the market; returns the amount.
    function _penalizeJuror(address juror, uint96 penalty) internal virtual returns (uint96);

    function _challenge(uint256 taskId) internal view returns (Challenge storage) {
        return _challenges[taskId];
    }

    function _juryBallot(uint256 taskId, address account) internal view returns (Ballot storage b) {
        b = _ballots[taskId][account];
        if (!b.drawn) revert JuryCourtNotJuror(taskId, account);
    }
}

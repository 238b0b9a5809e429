// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {PocketToken} from "../../PocketToken.sol";
import {Staking} from "../../Staking.sol";
import {MarketExtension} from "../../MarketExtension.sol";
import {MarketParameters} from "../../MarketParameters.sol";
import {MarketCore} from "../../MarketCore.sol";
import {TaskMarket} from "../../TaskMarket.sol";
import {Test} from "./Test.sol";

/// @notice Deploys the three contracts with test parameters and offers lifecycle helpers.
abstract contract MarketFixture is Test {
    uint96 internal constant MIN_STAKE = 100e18;
    uint64 internal constant UNBONDING = 2 hours;
    uint64 internal constant CHALLENGE_WINDOW = 10 minutes;
    uint64 internal constant VOTE_COMMIT = 5 minutes;
    uint64 internal constant VOTE_REVEAL = 5 minutes;
    uint96 internal constant BOND = 50e18;
    uint96 internal constant MAX_PRICE = 10e18;
    uint96 internal constant PRICE = 8e18;

    PocketToken internal token;
    Staking internal staking;
    TaskMarket internal market;
    MarketExtension internal ext; // the market's address typed as its extension (challenges, votes, governance)
    address internal treasury = address(0x7EA5);

    address internal owner = address(0xA11CE);
    address internal requester = address(0xBEEF);
    address internal node = address(0x1001);
    address internal auditor = address(0x1002);
    address[] internal jurors;

    function _params() internal pure virtual returns (MarketParameters.Parameters memory) {
        return MarketParameters.Parameters({
            challengeWindow: CHALLENGE_WINDOW,
            voteCommitWindow: VOTE_COMMIT,
            voteRevealWindow: VOTE_REVEAL,
            challengeBond: BOND,
            slashBps: 5000,
            finderFeeBps: 2500,
            jurorRewardBps: 2000,
            undecidedFeeBps: 2000,
            bidBondBps: 1000,
            jurySize: 3,
            maxBids: 4,
            jurorPenalty: 10e18,
            minStakeAge: 0
        });
    }

    function _deploy(IERC20 token_) internal {
        _deploy(token_, _params());
    }

    function _deploy(IERC20 token_, MarketParameters.Parameters memory p) internal {
        staking = new Staking(token_, owner, MIN_STAKE, UNBONDING);
        MarketExtension extension = new MarketExtension(token_, staking, owner, p, treasury);
        market = new TaskMarket(token_, staking, owner, p, treasury, address(extension));
        ext = MarketExtension(address(market));
        vm.prank(owner);
        staking.setMarket(address(market));
    }

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new PocketToken(address(this));
        _deploy(token);
        jurors.push(address(0x2001));
        jurors.push(address(0x2002));
        jurors.push(address(0x2003));
        _fund(requester, 1_000e18);
        _fund(auditor, 1_000e18);
        _stake(node, 1_000e18);
        _stake(auditor, 1_000e18);
        for (uint256 i; i < jurors.length; ++i) _stake(jurors[i], 1_000e18);
    }

    function _fund(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(market), type(uint256).max);
        token.approve(address(staking), type(uint256).max);
        vm.stopPrank();
    }

    function _stake(address account, uint96 amount) internal {
        _fund(account, amount);
        vm.prank(account);
        staking.stake(amount);
    }

    function _spec(uint96 maxPrice) internal view returns (MarketCore.PostTaskParams memory) {
        return MarketCore.PostTaskParams({
            modelDigest: keccak256("model"),
            inputHash: keccak256("input"),
            input: bytes("hello"),
            inputURI: "",
            samplingParams: bytes("{}"),
            seed: 1,
            maxPrice: maxPrice,
            bidDeadline: uint64(block.timestamp + 10 minutes),
            execWindow: 5 minutes
        });
    }

    function _post() internal returns (uint256 taskId) {
        vm.prank(requester);
        taskId = market.postTask(_spec(MAX_PRICE));
    }

    function _assigned() internal returns (uint256 taskId) {
        taskId = _post();
        vm.prank(node);
        market.placeBid(taskId, PRICE);
        vm.prank(requester);
        market.assignTask(taskId, 0);
    }

    function _committed() internal returns (uint256 taskId) {
        taskId = _assigned();
        vm.prank(node);
        market.commitResult(taskId, keccak256("receipt"), keccak256("output"), bytes("hi"), "");
    }

    function _challenged() internal returns (uint256 taskId) {
        taskId = _committed();
        _challenge(taskId, auditor, bytes32("secret"));
    }

    /// @dev Commits the seed with the bond, then reveals it one block later (draws the jury).
    function _challenge(uint256 taskId, address challenger, bytes32 secret) internal {
        _commitChallenge(taskId, challenger, secret);
        vm.roll(block.number + 1);
        vm.prank(challenger);
        ext.challenge(taskId, keccak256("evidence"), secret);
    }

    function _commitChallenge(uint256 taskId, address challenger, bytes32 secret) internal {
        bytes32 seedHash = ext.seedCommitment(taskId, challenger, secret);
        vm.prank(challenger);
        ext.commitChallenge(taskId, seedHash);
    }

    function _vote(uint256 taskId, address juror, bool guilty) internal {
        bytes32 salt = keccak256(abi.encode(juror));
        bytes32 commitment = ext.voteCommitment(taskId, juror, guilty, salt);
        vm.prank(juror);
        ext.commitVote(taskId, commitment);
    }

    function _reveal(uint256 taskId, address juror, bool guilty) internal {
        vm.prank(juror);
        ext.revealVote(taskId, guilty, keccak256(abi.encode(juror)));
    }
}

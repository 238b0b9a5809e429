// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title HiveSettlement
/// @notice Pays a hive's contributors in $POCKET for many contribution receipts at once, Merkle-distributor style.
/// A hive's payer publishes the root of a tree whose leaves are (account, cumulative amount owed) and funds it in
/// one transaction; each contributor (or anyone on its behalf, or the payer in the same transaction) claims the
/// difference between its cumulative amount and what it was already paid. Cumulative leaves mean a new root
/// simply supersedes the old one: nothing is paid twice.
contract HiveSettlement is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice One payment to make against the payer's current root.
    struct Claim {
        address account;
        uint256 cumulative;
        bytes32[] proof;
    }

    IERC20 private immutable _token;
    mapping(address payer => bytes32) private _roots;
    mapping(address payer => uint256) private _pools;
    mapping(address payer => mapping(address account => uint256)) private _claimed;

    /// @notice A payer published a new root and added `funded` to its pool.
    event HiveRootPublished(address indexed payer, bytes32 root, uint256 funded);
    /// @notice `account` was paid `amount`, reaching `cumulative` paid under `payer`.
    event HiveClaimed(address indexed payer, address indexed account, uint256 amount, uint256 cumulative);

    /// @notice The proof does not lead to the payer's root.
    error HiveSettlementInvalidProof(address payer, address account, uint256 cumulative);
    /// @notice The account was already paid at least `cumulative`.
    error HiveSettlementNothingToClaim(address account, uint256 cumulative, uint256 claimed);
    /// @notice The payer's pool holds less than the claim needs.
    error HiveSettlementPoolTooSmall(address payer, uint256 pool, uint256 needed);

    /// @param token_ The $POCKET token.
    constructor(IERC20 token_) {
        _token = token_;
    }

    /// @notice Publishes `root` for the caller's hive and moves `amount` $POCKET from the caller into its pool.
    function publish(bytes32 root, uint256 amount) external nonReentrant {
        _publish(root, amount);
    }

    /// @notice Pays `account` what `cumulative` owes beyond what it was already paid under `payer`.
    function claim(address payer, address account, uint256 cumulative, bytes32[] calldata proof)
        external
        nonReentrant
    {
        _claim(payer, account, cumulative, proof);
    }

    /// @notice Publishes `root`, funds it and pays every listed claim: many receipts settled in one transaction.
    function settle(bytes32 root, uint256 amount, Claim[] calldata claims) external nonReentrant {
        _publish(root, amount);
        for (uint256 i = 0; i < claims.length; ++i) {
            _claim(msg.sender, claims[i].account, claims[i].cumulative, claims[i].proof);
        }
    }

    /// @notice The root `payer` published last.
    function rootOf(address payer) external view returns (bytes32) {
        return _roots[payer];
    }

    /// @notice $POCKET held for `payer`'s unpaid claims.
    function poolOf(address payer) external view returns (uint256) {
        return _pools[payer];
    }

    /// @notice What `account` has been paid under `payer` so far.
    function claimedOf(address payer, address account) external view returns (uint256) {
        return _claimed[payer][account];
    }

    /// @notice The token paid out.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The leaf for (account, cumulative): OpenZeppelin's double-hashed standard leaf.
    function leaf(address account, uint256 cumulative) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, cumulative))));
    }

    function _publish(bytes32 root, uint256 amount) private {
        _roots[msg.sender] = root;
        _pools[msg.sender] += amount;
        emit HiveRootPublished(msg.sender, root, amount);
        // Interaction last: the pool is credited only if the transfer succeeds (the whole call reverts otherwise).
        if (amount > 0) _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _claim(address payer, address account, uint256 cumulative, bytes32[] calldata proof) private {
        if (!MerkleProof.verifyCalldata(proof, _roots[payer], leaf(account, cumulative))) {
            revert HiveSettlementInvalidProof(payer, account, cumulative);
        }
        uint256 paid = _claimed[payer][account];
        if (cumulative <= paid) revert HiveSettlementNothingToClaim(account, cumulative, paid);
        uint256 amount;
        unchecked {
            // cumulative > paid was checked just above
            amount = cumulative - paid;
        }
        uint256 pool = _pools[payer];
        if (pool < amount) revert HiveSettlementPoolTooSmall(payer, pool, amount);
        unchecked {
            // pool >= amount was checked just above
            _pools[payer] = pool - amount;
        }
        _claimed[payer][account] = cumulative;
        emit HiveClaimed(payer, account, amount, cumulative);
        // Effects above, transfer last.
        _token.safeTransfer(account, amount);
    }
}

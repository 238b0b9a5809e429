// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MarketCore} from "./MarketCore.sol";

/**
 * @title SignedBids
 * @notice EIP-712 bids collected off chain: a `Bid` on a posted task (the requester assigns it with
 * `assignSignedBid`) and a `Quote` for a task not posted yet (`postTaskWithQuote` posts and assigns in one
 * call). Losing bids never touch the chain; the winner's stake is locked at assignment. Domain: name
 * "PocketTaskMarket", version "1", the chain id and the market's address.
 */
abstract contract SignedBids is MarketCore, EIP712 {
    /// @notice EIP-712 type of an off-chain bid on a posted task.
    bytes32 public constant BID_TYPEHASH = keccak256("Bid(uint256 taskId,uint96 price,uint64 expiry)");
    /// @notice EIP-712 type of a node's quote for a task not posted yet (see {postTaskWithQuote}).
    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(address requester,bytes32 modelDigest,bytes32 inputHash,bytes32 samplingHash,uint64 seed,uint32 execWindow,uint96 price,uint64 expiry)"
    );

    constructor() EIP712("PocketTaskMarket", "1") {}

    /// @notice The EIP-712 digest a node signs to quote `p.maxPrice` for `requester`'s task `p` until `expiry`.
    function quoteDigest(address requester, PostTaskParams calldata p, uint64 expiry) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    QUOTE_TYPEHASH,
                    requester,
                    p.modelDigest,
                    p.inputHash,
                    keccak256(p.samplingParams),
                    p.seed,
                    p.execWindow,
                    p.maxPrice,
                    expiry
                )
            )
        );
    }

    /// @notice The EIP-712 digest a node signs to bid `price` on `taskId` until `expiry`.
    function bidDigest(uint256 taskId, uint96 price, uint64 expiry) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BID_TYPEHASH, taskId, price, expiry)));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MarketCore} from "./MarketCore.sol";
import {MarketGovernance} from "./MarketGovernance.sol";
import {Staking} from "./Staking.sol";
import {TaskDisputes} from "./TaskDisputes.sol";

/**
 * @title MarketExtension
 * @notice The market's less frequent entry points (challenges, jury votes, parameter governance), split off
 * to keep {TaskMarket} under the 24 KiB code limit. {TaskMarket} delegatecalls every selector it does not
 * implement to this contract, so these functions run on the market's storage and emit the market's events;
 * off-chain code sees one contract (the generated `taskMarketAbi` merges both ABIs).
 * @dev Same bases, so the same storage layout as the market. Called directly, it only touches its own empty
 * storage: it holds no funds, and {Staking} accepts slashes only from the market.
 */
contract MarketExtension is TaskDisputes, MarketGovernance {
    /// @dev Same arguments as the market's (the immutables must match: they live in code, not storage).
    constructor(IERC20 token_, Staking staking_, address owner_, Parameters memory params_, address treasury_)
        MarketCore(token_, staking_, owner_, params_, treasury_)
    {}
}

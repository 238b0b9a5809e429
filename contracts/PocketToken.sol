// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/**
 * @title PocketToken ($POCKET)
 * @notice The marketplace's ERC-20: escrow for tasks, stake for nodes, bonds for challengers.
 * @dev ERC-20 + EIP-2612 permit. Minting is restricted to {MINTER_ROLE} (the testnet faucet holds it).
 * The supply is capped at `type(uint96).max` so every amount the marketplace stores fits in a uint96.
 */
contract PocketToken is ERC20, ERC20Permit, ERC20Capped, AccessControl {
    /// @notice Role allowed to mint new tokens.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /**
     * @param admin Receives {DEFAULT_ADMIN_ROLE} and {MINTER_ROLE}.
     */
    constructor(address admin) ERC20("Pocket", "POCKET") ERC20Permit("Pocket") ERC20Capped(type(uint96).max) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /**
     * @notice Mints `amount` tokens to `to`.
     * @dev Only callable by {MINTER_ROLE}; reverts with `ERC20ExceededCap` past the cap.
     */
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped) {
        super._update(from, to, value);
    }
}

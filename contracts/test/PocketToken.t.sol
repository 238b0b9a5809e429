// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {PocketToken} from "../PocketToken.sol";
import {Test} from "./utils/Test.sol";

contract PocketTokenTest is Test {
    PocketToken internal token;

    function setUp() public {
        token = new PocketToken(address(this));
    }

    function test_MintByMinter() public {
        token.mint(address(1), 5e18);
        assertEq(token.balanceOf(address(1)), 5e18);
        assertEq(token.cap(), type(uint96).max);
    }

    function test_RevertWhen_MintByNonMinter() public {
        bytes32 role = token.MINTER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(2), role)
        );
        vm.prank(address(2));
        token.mint(address(2), 1);
    }

    function test_RevertWhen_MintPastCap() public {
        token.mint(address(1), type(uint96).max);
        vm.expectRevert(
            abi.encodeWithSelector(
                ERC20Capped.ERC20ExceededCap.selector, uint256(type(uint96).max) + 1, type(uint96).max
            )
        );
        token.mint(address(1), 1);
    }

    function test_Permit() public {
        uint256 pk = 0xA11CE;
        address holder = vm.addr(pk);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                holder,
                address(3),
                7e18,
                0,
                block.timestamp + 1
            )
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        token.permit(holder, address(3), 7e18, block.timestamp + 1, v, r, s);
        assertEq(token.allowance(holder, address(3)), 7e18);
    }
}

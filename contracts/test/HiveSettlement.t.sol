// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {HiveSettlement} from "../HiveSettlement.sol";
import {PocketToken} from "../PocketToken.sol";
import {Test} from "./utils/Test.sol";

/// @notice Merkle settlement of hive contribution receipts: one root, cumulative leaves, paid once.
contract HiveSettlementTest is Test {
    PocketToken internal token;
    HiveSettlement internal settlement;
    address internal payer = address(0xA11CE);
    address internal alice = address(0x1001);
    address internal bob = address(0x1002);
    address internal carol = address(0x1003);

    function setUp() public {
        token = new PocketToken(address(this));
        settlement = new HiveSettlement(token);
        token.mint(payer, 1_000e18);
        vm.prank(payer);
        token.approve(address(settlement), type(uint256).max);
    }

    // Sorted-pair hash, as OpenZeppelin's MerkleProof expects.
    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    // A four-leaf tree (the fourth leaf is carol's twice-claimed amount or padding).
    function _tree(uint256 a, uint256 b, uint256 c)
        internal
        view
        returns (bytes32 root, bytes32[] memory pa, bytes32[] memory pb, bytes32[] memory pc)
    {
        bytes32 la = settlement.leaf(alice, a);
        bytes32 lb = settlement.leaf(bob, b);
        bytes32 lc = settlement.leaf(carol, c);
        bytes32 ld = settlement.leaf(address(0xdead), 0);
        bytes32 ab = _pair(la, lb);
        bytes32 cd = _pair(lc, ld);
        root = _pair(ab, cd);
        pa = new bytes32[](2);
        pa[0] = lb;
        pa[1] = cd;
        pb = new bytes32[](2);
        pb[0] = la;
        pb[1] = cd;
        pc = new bytes32[](2);
        pc[0] = ld;
        pc[1] = ab;
    }

    function test_SettlePaysEveryClaimInOneTransaction() public {
        (bytes32 root, bytes32[] memory pa, bytes32[] memory pb, bytes32[] memory pc) = _tree(10e18, 20e18, 30e18);
        HiveSettlement.Claim[] memory claims = new HiveSettlement.Claim[](3);
        claims[0] = HiveSettlement.Claim(alice, 10e18, pa);
        claims[1] = HiveSettlement.Claim(bob, 20e18, pb);
        claims[2] = HiveSettlement.Claim(carol, 30e18, pc);
        vm.prank(payer);
        settlement.settle(root, 60e18, claims);
        assertEq(token.balanceOf(alice), 10e18);
        assertEq(token.balanceOf(bob), 20e18);
        assertEq(token.balanceOf(carol), 30e18);
        assertEq(settlement.poolOf(payer), 0);
        assertEq(settlement.rootOf(payer), root, "root");
    }

    function test_CumulativeRootPaysOnlyTheDifference() public {
        (bytes32 r1, bytes32[] memory pa,,) = _tree(10e18, 20e18, 30e18);
        vm.prank(payer);
        settlement.publish(r1, 60e18);
        settlement.claim(payer, alice, 10e18, pa);
        (bytes32 r2, bytes32[] memory pa2,,) = _tree(25e18, 20e18, 30e18);
        vm.prank(payer);
        settlement.publish(r2, 15e18);
        settlement.claim(payer, alice, 25e18, pa2);
        assertEq(token.balanceOf(alice), 25e18);
        assertEq(settlement.claimedOf(payer, alice), 25e18);
        assertEq(settlement.poolOf(payer), 50e18);
    }

    function test_RevertWhen_ClaimTwice() public {
        (bytes32 root, bytes32[] memory pa,,) = _tree(10e18, 20e18, 30e18);
        vm.prank(payer);
        settlement.publish(root, 60e18);
        settlement.claim(payer, alice, 10e18, pa);
        vm.expectRevert(
            abi.encodeWithSelector(HiveSettlement.HiveSettlementNothingToClaim.selector, alice, 10e18, 10e18)
        );
        settlement.claim(payer, alice, 10e18, pa);
    }

    function test_RevertWhen_ProofIsForAnotherAmount() public {
        (bytes32 root, bytes32[] memory pa,,) = _tree(10e18, 20e18, 30e18);
        vm.prank(payer);
        settlement.publish(root, 60e18);
        vm.expectRevert(
            abi.encodeWithSelector(HiveSettlement.HiveSettlementInvalidProof.selector, payer, alice, 11e18)
        );
        settlement.claim(payer, alice, 11e18, pa);
    }

    function test_RevertWhen_PoolTooSmall() public {
        (bytes32 root,,, bytes32[] memory pc) = _tree(10e18, 20e18, 30e18);
        vm.prank(payer);
        settlement.publish(root, 5e18);
        vm.expectRevert(
            abi.encodeWithSelector(HiveSettlement.HiveSettlementPoolTooSmall.selector, payer, 5e18, 30e18)
        );
        settlement.claim(payer, carol, 30e18, pc);
    }

    function testFuzz_PaidNeverExceedsFunded(uint256 a, uint256 b, uint256 c) public {
        a = bound(a, 1, 300e18);
        b = bound(b, 1, 300e18);
        c = bound(c, 1, 300e18);
        (bytes32 root, bytes32[] memory pa, bytes32[] memory pb, bytes32[] memory pc) = _tree(a, b, c);
        vm.prank(payer);
        settlement.publish(root, a + b + c);
        settlement.claim(payer, alice, a, pa);
        settlement.claim(payer, bob, b, pb);
        settlement.claim(payer, carol, c, pc);
        assertEq(token.balanceOf(alice) + token.balanceOf(bob) + token.balanceOf(carol), a + b + c);
        assertEq(settlement.poolOf(payer), 0);
        assertEq(token.balanceOf(address(settlement)), 0);
    }
}

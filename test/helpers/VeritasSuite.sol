// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {ISignedAttestationVerifier} from "../../contracts/interfaces/ISignedAttestationVerifier.sol";
import {ITeeRegistry} from "../../contracts/interfaces/ITeeRegistry.sol";
import {ITeeResultVerifier} from "../../contracts/interfaces/ITeeResultVerifier.sol";
import {IZkResultVerifier} from "../../contracts/interfaces/IZkResultVerifier.sol";
import {IMockUSD, IModelRegistryNft, IVeritasToken} from "./Deployed.sol";
import {
    SuiteWiring,
    WIRING_DISPUTE_MANAGER_ARBITRATION_PERIOD,
    WIRING_DISPUTE_MANAGER_BOND,
    WIRING_DISPUTE_MANAGER_CHALLENGER_REWARD_BPS,
    WIRING_DISPUTE_MANAGER_EQUIVOCATION_SLASH,
    WIRING_INFERENCE_ESCROW_CHALLENGE_WINDOW,
    WIRING_INFERENCE_ESCROW_COLLATERAL_PER_PAYMENT_BPS,
    WIRING_INFERENCE_ESCROW_FEE_BPS,
    WIRING_NODE_STAKING_MIN_STAKE,
    WIRING_NODE_STAKING_UNBONDING_PERIOD
} from "./SuiteWiring.sol";
import {TeeSigning} from "./TeeSigning.sol";
import {IDisputeManager} from "../../contracts/interfaces/IDisputeManager.sol";
import {IInferenceEscrow} from "../../contracts/interfaces/IInferenceEscrow.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {INodeStaking} from "../../contracts/interfaces/INodeStaking.sol";

/// @notice The real Veritas contracts wired by the plan of deploy/suite.ts (SuiteWiring.sol is generated from it: the
/// Ignition modules and deploySuite run the same plan; ZkResultVerifier as the escrow's ZK
/// verifier, DisputeManager bound to the escrow and the TEE registry), for Solidity fuzz and invariant tests, with
/// helpers that play the model owner, nodes, enclaves (`vm.sign`) and the attestation service.
/// The contracts are deployed from the contracts' own build (`Deployed._deploy`: `vm.getCode` of their artifacts), so
/// the Solidity tests run the bytecode `hardhat build` makes for deployment and never compile the contracts again.
abstract contract VeritasSuite is Test, SuiteWiring, TeeSigning {
    uint8 internal constant MODE_TEE = 1;
    uint8 internal constant MODE_OPTIMISTIC = 3;
    uint256 internal constant BPS = 10_000;
    // The plan's defaults (deploy/suite.ts, generated into SuiteWiring.sol), which the suite deploys with.
    uint256 internal constant MIN_STAKE = WIRING_NODE_STAKING_MIN_STAKE;
    uint40 internal constant UNBONDING = uint40(WIRING_NODE_STAKING_UNBONDING_PERIOD);
    uint16 internal constant FEE_BPS = uint16(WIRING_INFERENCE_ESCROW_FEE_BPS);
    uint32 internal constant RATE_BPS = uint32(WIRING_INFERENCE_ESCROW_COLLATERAL_PER_PAYMENT_BPS);
    bytes32 internal constant MEASUREMENT = keccak256("veritas-enclave-image-v1");
    uint40 internal constant CHALLENGE_WINDOW = uint40(WIRING_INFERENCE_ESCROW_CHALLENGE_WINDOW);
    uint96 internal constant DISPUTE_BOND = uint96(WIRING_DISPUTE_MANAGER_BOND);
    uint40 internal constant ARBITRATION_PERIOD = uint40(WIRING_DISPUTE_MANAGER_ARBITRATION_PERIOD);
    uint16 internal constant CHALLENGER_REWARD_BPS = uint16(WIRING_DISPUTE_MANAGER_CHALLENGER_REWARD_BPS);
    uint96 internal constant EQUIVOCATION_SLASH = uint96(WIRING_DISPUTE_MANAGER_EQUIVOCATION_SLASH);

    IVeritasToken internal token;
    IMockUSD internal usd;
    IModelRegistryNft internal registry;
    INodeStaking internal staking;
    ISignedAttestationVerifier internal attestation;
    ITeeRegistry internal tee;
    ITeeResultVerifier internal teeVerifier;
    IZkResultVerifier internal zkVerifier;
    IInferenceEscrow internal escrow;
    IDisputeManager internal disputes;

    address internal gov = makeAddr("governance");
    address internal treasury = makeAddr("treasury");
    address internal modelOwner = makeAddr("modelOwner");
    uint256 internal attestationSignerPk = uint256(keccak256("attestation service"));

    function _deploySuite(uint256 tokenSupply) internal {
        usd = IMockUSD(_deploy("MockUSD", ""));
        // The plan's wiring (SuiteWiring.sol, generated from deploy/suite.ts), governance as the owner and arbitrator.
        WiringParams memory p = _wiringDefaults(gov);
        p.veritasTokenHolder = address(this);
        p.veritasTokenSupply = tokenSupply;
        p.nodeStakingTreasury = treasury;
        p.inferenceEscrowTreasury = treasury;
        p.inferenceEscrowPaymentToken = address(usd);
        p.disputeManagerArbitrator = gov;
        SuiteAddresses memory s = _wireSuite(p);
        token = IVeritasToken(s.token);
        registry = IModelRegistryNft(s.registry);
        staking = INodeStaking(s.staking);
        attestation = ISignedAttestationVerifier(s.attestation);
        tee = ITeeRegistry(s.tee);
        teeVerifier = ITeeResultVerifier(s.teeVerifier);
        zkVerifier = IZkResultVerifier(s.zkVerifier);
        escrow = IInferenceEscrow(s.escrow);
        disputes = IDisputeManager(s.disputes);
        vm.startPrank(gov);
        attestation.setAttestationSigner(vm.addr(attestationSignerPk), true);
        tee.approveMeasurement(MEASUREMENT, "veritas-enclave-image-v1");
        vm.stopPrank();
    }

    /// @dev The dispute parameters deploy/suite.ts sets (the arbitrator is governance).
    function _defaultDisputeParams() internal view returns (IDisputeManager.Params memory) {
        return
            IDisputeManager.Params({
                bond: DISPUTE_BOND,
                arbitrationPeriod: ARBITRATION_PERIOD,
                challengerRewardBps: CHALLENGER_REWARD_BPS,
                arbitrator: gov,
                equivocationSlash: EQUIVOCATION_SLASH
            });
    }

    /// @dev An EIP-2612 permit signature by `ownerPk` letting `spender` pull `value` of `permitToken` until `deadline`.
    function _signPermit(
        uint256 ownerPk,
        IERC20Permit permitToken,
        address spender,
        uint256 value,
        uint256 deadline
    ) internal view returns (uint8 v, bytes32 r, bytes32 s) {
        address owner = vm.addr(ownerPk);
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                owner,
                spender,
                value,
                permitToken.nonces(owner),
                deadline
            )
        );
        return vm.sign(ownerPk, keccak256(abi.encodePacked("\x19\x01", permitToken.DOMAIN_SEPARATOR(), structHash)));
    }

    function _createModel() internal returns (uint256 modelId) {
        vm.prank(modelOwner);
        modelId = registry.createModel("ipfs://model-card");
    }

    function _publishTeeVersion(uint256 modelId, uint96 royalty, uint96 minCollateral) internal returns (uint64) {
        bytes32[] memory measurements = new bytes32[](1);
        measurements[0] = MEASUREMENT;
        vm.prank(modelOwner);
        return
            registry.publishVersion(
                modelId,
                IModelRegistry.VersionParams({
                    weightsDigest: keccak256(abi.encode("weights", modelId)),
                    ioSchemaDigest: keccak256("schema"),
                    artifactURI: "ipfs://weights",
                    royalty: royalty,
                    minCollateral: minCollateral,
                    modes: uint8(1 << MODE_TEE),
                    zkVerifier: address(0),
                    teeMeasurements: measurements
                })
            );
    }

    /// @dev Publishes an OPTIMISTIC-only version (no ZK verifier, no TEE measurement): its disputes are decided by the
    /// arbitrator or end by timeout.
    function _publishOptimisticVersion(
        uint256 modelId,
        uint96 royalty,
        uint96 minCollateral
    ) internal returns (uint64) {
        vm.prank(modelOwner);
        return
            registry.publishVersion(
                modelId,
                IModelRegistry.VersionParams({
                    weightsDigest: keccak256(abi.encode("opaque weights", modelId)),
                    ioSchemaDigest: keccak256("schema"),
                    artifactURI: "ipfs://weights",
                    royalty: royalty,
                    minCollateral: minCollateral,
                    modes: uint8(1 << MODE_OPTIMISTIC),
                    zkVerifier: address(0),
                    teeMeasurements: new bytes32[](0)
                })
            );
    }

    /// @dev Registers `node` for optimistic jobs and stakes `amount` from this contract's VRT.
    function _setUpOptimisticNode(address node, uint256 amount) internal {
        vm.prank(node);
        staking.registerNode("https://node.example", uint16(1 << MODE_OPTIMISTIC));
        if (amount != 0) {
            token.approve(address(staking), amount);
            staking.stake(node, amount);
        }
    }

    /// @dev Registers `node` for TEE, stakes `amount` from this contract's VRT and registers an enclave key.
    function _setUpNode(address node, uint256 amount, uint256 enclavePk) internal {
        vm.prank(node);
        staking.registerNode("https://node.example", uint16(1 << MODE_TEE));
        if (amount != 0) {
            token.approve(address(staking), amount);
            staking.stake(node, amount);
        }
        _registerEnclave(node, enclavePk, uint40(block.timestamp + 90 days));
    }

    function _registerEnclave(address node, uint256 enclavePk, uint40 expiresAt) internal {
        address key = vm.addr(enclavePk);
        bytes32 digest = attestation.attestationDigest(address(tee), node, key, MEASUREMENT, expiresAt);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(attestationSignerPk, digest);
        vm.prank(node);
        tee.registerEnclaveKey(key, MEASUREMENT, expiresAt, abi.encodePacked(r, s, v));
    }

    /// @dev An enclave's signature over one result.
    function _signResult(
        uint256 enclavePk,
        IInferenceEscrow.Job memory job,
        bytes memory output
    ) internal view returns (bytes memory) {
        return _signResultFor(teeVerifier, address(escrow), enclavePk, job, output);
    }

    /// @dev The commitment the escrow stores for `job` and `claim` in `status`.
    function _commitment(
        IInferenceEscrow.Job memory job,
        IInferenceEscrow.Claim memory claim,
        IInferenceEscrow.JobStatus status
    ) internal pure returns (bytes32) {
        return (keccak256(abi.encode(job, claim)) & ~bytes32(uint256(0xff))) | bytes32(uint256(uint8(status)));
    }
}

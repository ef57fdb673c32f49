import { IConstruct } from 'constructs';
import { AiGatewayValidationError } from '../private/errors';

/** One NVIDIA GPU instance type, as the self-hosted constructs size and price it. */
export interface GpuInstanceSpec {
  /** The EC2 instance type, e.g. `g6.xlarge`. */
  readonly instanceType: string;
  /** The instance family, e.g. `g6`. */
  readonly family: string;
  /** The instance size, e.g. `xlarge`. */
  readonly size: string;
  /** The number of GPUs. */
  readonly gpuCount: number;
  /** The GPU model, e.g. `L4`. */
  readonly gpuModel: string;
  /** Memory per GPU in GiB. */
  readonly gpuMemoryGiB: number;
  /** vCPUs of the instance. */
  readonly vcpus: number;
  /** Memory of the instance in GiB. */
  readonly memoryGiB: number;
  /** Whether the instance has local NVMe instance storage (Karpenter can RAID0 it). */
  readonly localNvme: boolean;
  /**
   * The approximate Linux on-demand price per hour in USD in us-east-1. Prices change and differ
   * by Region: pass your own where the construct accepts one.
   */
  readonly onDemandUsdPerHour: number;
}

interface FamilyRow {
  readonly gpuModel: string;
  readonly gpuMemoryGiB: number;
  /** size → [gpuCount, vcpus, memoryGiB, onDemandUsdPerHour] */
  readonly sizes: { readonly [size: string]: readonly [number, number, number, number] };
}

// Linux on-demand list prices in us-east-1 (approximate, from the public EC2 price list in 2025;
// verify for your Region). Every family listed has local NVMe instance storage.
const FAMILIES: { readonly [family: string]: FamilyRow } = {
  g4dn: {
    gpuModel: 'T4',
    gpuMemoryGiB: 16,
    sizes: {
      'xlarge': [1, 4, 16, 0.526],
      '2xlarge': [1, 8, 32, 0.752],
      '4xlarge': [1, 16, 64, 1.204],
      '8xlarge': [1, 32, 128, 2.176],
      '12xlarge': [4, 48, 192, 3.912],
      '16xlarge': [1, 64, 256, 4.352],
      'metal': [8, 96, 384, 7.824],
    },
  },
  g5: {
    gpuModel: 'A10G',
    gpuMemoryGiB: 24,
    sizes: {
      'xlarge': [1, 4, 16, 1.006],
      '2xlarge': [1, 8, 32, 1.212],
      '4xlarge': [1, 16, 64, 1.624],
      '8xlarge': [1, 32, 128, 2.448],
      '12xlarge': [4, 48, 192, 5.672],
      '16xlarge': [1, 64, 256, 4.096],
      '24xlarge': [4, 96, 384, 8.144],
      '48xlarge': [8, 192, 768, 16.288],
    },
  },
  g6: {
    gpuModel: 'L4',
    gpuMemoryGiB: 24,
    sizes: {
      'xlarge': [1, 4, 16, 0.8048],
      '2xlarge': [1, 8, 32, 0.9776],
      '4xlarge': [1, 16, 64, 1.3232],
      '8xlarge': [1, 32, 128, 2.0144],
      '12xlarge': [4, 48, 192, 4.6016],
      '16xlarge': [1, 64, 256, 3.3968],
      '24xlarge': [4, 96, 384, 6.6752],
      '48xlarge': [8, 192, 768, 13.3504],
    },
  },
  g6e: {
    gpuModel: 'L40S',
    gpuMemoryGiB: 48,
    sizes: {
      'xlarge': [1, 4, 32, 1.861],
      '2xlarge': [1, 8, 64, 2.242],
      '4xlarge': [1, 16, 128, 3.004],
      '8xlarge': [1, 32, 256, 4.529],
      '12xlarge': [4, 48, 384, 10.493],
      '16xlarge': [1, 64, 512, 7.577],
      '24xlarge': [4, 96, 768, 15.066],
      '48xlarge': [8, 192, 1536, 30.131],
    },
  },
  p4d: {
    gpuModel: 'A100',
    gpuMemoryGiB: 40,
    sizes: { '24xlarge': [8, 96, 1152, 32.773] },
  },
  p5: {
    gpuModel: 'H100',
    gpuMemoryGiB: 80,
    sizes: { '48xlarge': [8, 192, 2048, 98.32] },
  },
};

/**
 * The NVIDIA GPU instance types the self-hosted route knows how to size and price.
 *
 * @example
 * const spec = GpuInstanceTypes.of('g6.xlarge'); // 1 × L4, 24 GiB, ≈ $0.80/h
 */
export class GpuInstanceTypes {
  /** The instance families used when none are given: `g6`, `g6e`, `g5`. */
  public static readonly DEFAULT_FAMILIES: string[] = ['g6', 'g6e', 'g5'];

  /** Every known instance family, e.g. `g5`, `g6`. */
  public static families(): string[] {
    return Object.keys(FAMILIES);
  }

  /** Every known instance type of the given families, smallest first within each family. */
  public static ofFamilies(families: string[]): GpuInstanceSpec[] {
    GpuInstanceTypes.checkFamilies('instanceFamilies', families);
    return families.flatMap((family) => Object.keys(FAMILIES[family].sizes).map((size) => GpuInstanceTypes.of(`${family}.${size}`)));
  }

  /**
   * The spec of one instance type.
   * @throws AiGatewayValidationError naming the known families or sizes when the type is unknown
   */
  public static of(instanceType: string, scope?: IConstruct): GpuInstanceSpec {
    const [family, size, ...rest] = instanceType.split('.');
    const row = FAMILIES[family];
    if (!row || rest.length > 0) {
      throw new AiGatewayValidationError(`Unknown GPU instance type '${instanceType}': the family must be one of ${GpuInstanceTypes.families().join(', ')}.`, scope);
    }
    const sizeRow = row.sizes[size];
    if (!sizeRow) {
      throw new AiGatewayValidationError(`Unknown GPU instance type '${instanceType}': ${family} sizes are ${Object.keys(row.sizes).join(', ')}.`, scope);
    }
    const [gpuCount, vcpus, memoryGiB, onDemandUsdPerHour] = sizeRow;
    return { instanceType, family, size, gpuCount, gpuModel: row.gpuModel, gpuMemoryGiB: row.gpuMemoryGiB, vcpus, memoryGiB, localNvme: true, onDemandUsdPerHour };
  }

  /**
   * Checks that every family is known and the list is not empty.
   * @param propName the prop the families came from, for the error message
   */
  public static checkFamilies(propName: string, families: string[], scope?: IConstruct): void {
    if (families.length === 0) {
      throw new AiGatewayValidationError(`${propName} must name at least one GPU instance family; known families are ${GpuInstanceTypes.families().join(', ')}.`, scope);
    }
    for (const family of families) {
      if (!FAMILIES[family]) {
        throw new AiGatewayValidationError(`${propName}: unknown GPU instance family '${family}'; known families are ${GpuInstanceTypes.families().join(', ')}.`, scope);
      }
    }
  }

  private constructor() {}
}

// Algorithm names → their cluster state machines (each file states its rule at its top).
import { adarevision } from './adarevision.ts';
import type { ClusterAlgorithm } from './cluster.ts';
import { downpour } from './downpour.ts';
import { easgd } from './easgd.ts';
import { hogwild } from './hogwild.ts';
import type { Algorithm } from './options.ts';
import { sync } from './sync.ts';

const TABLE: Record<Algorithm, ClusterAlgorithm<object>> = {
  sync: sync as ClusterAlgorithm<object>,
  downpour: downpour as ClusterAlgorithm<object>,
  hogwild: hogwild as ClusterAlgorithm<object>,
  adarevision: adarevision as ClusterAlgorithm<object>,
  easgd: easgd as ClusterAlgorithm<object>,
};

export function clusterAlgorithm(name: Algorithm): ClusterAlgorithm<object> {
  return TABLE[name];
}

// Readable pet names ("amber-falcon") a technician can say out loud and write on a label:
// 64 × 64 words, drawn with the CSPRNG, never the same twice on one station.
import crypto from 'node:crypto';

const ADJECTIVES = [
  'amber', 'azure', 'bold', 'brave', 'brisk', 'calm', 'clever', 'coral', 'crisp', 'dapper', 'eager', 'fancy', 'fast', 'fern', 'fierce', 'frosty',
  'gentle', 'gilded', 'glad', 'golden', 'grand', 'happy', 'hazel', 'honest', 'humble', 'icy', 'ivory', 'jade', 'jolly', 'keen', 'kind', 'lively',
  'lucky', 'lunar', 'merry', 'mighty', 'misty', 'noble', 'olive', 'opal', 'plucky', 'polar', 'proud', 'quick', 'quiet', 'rapid', 'rosy', 'ruby',
  'rustic', 'sage', 'scarlet', 'shiny', 'silver', 'snowy', 'solar', 'steady', 'sunny', 'swift', 'tidy', 'topaz', 'velvet', 'vivid', 'witty', 'zesty',
] as const;
const ANIMALS = [
  'badger', 'beaver', 'bison', 'bobcat', 'condor', 'cougar', 'crane', 'dingo', 'dolphin', 'eagle', 'egret', 'falcon', 'ferret', 'finch', 'gecko', 'gopher',
  'heron', 'hornet', 'ibex', 'impala', 'jackal', 'jaguar', 'kestrel', 'koala', 'lemur', 'leopard', 'lynx', 'magpie', 'marten', 'merlin', 'moose', 'narwhal',
  'ocelot', 'orca', 'osprey', 'otter', 'panda', 'panther', 'pelican', 'puffin', 'quail', 'rabbit', 'raven', 'salmon', 'seal', 'shrike', 'sparrow', 'stork',
  'swan', 'tapir', 'tern', 'tiger', 'toucan', 'trout', 'turtle', 'viper', 'walrus', 'weasel', 'whale', 'wolf', 'wombat', 'wren', 'yak', 'zebra',
] as const;

export const PET_NAME = /^[a-z]+-[a-z]+(-\d+)?$/;

/** A fresh name; `taken` says whether one is already used (then a number is appended). */
export function generatePetName(taken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < 32; attempt++) {
    const name = `${ADJECTIVES[crypto.randomInt(ADJECTIVES.length)]}-${ANIMALS[crypto.randomInt(ANIMALS.length)]}`;
    if (!taken(name)) return name;
  }
  for (let n = 2; ; n++) {
    const name = `${ADJECTIVES[crypto.randomInt(ADJECTIVES.length)]}-${ANIMALS[crypto.randomInt(ANIMALS.length)]}-${n}`;
    if (!taken(name)) return name;
  }
}

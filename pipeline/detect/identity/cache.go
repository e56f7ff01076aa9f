package identity

import (
	"hash/maphash"
	"net/netip"

	lru "github.com/hashicorp/golang-lru/v2"
)

// lruShards splits each cache so that workers seldom wait on one lock.
const lruShards = 16

// shardedLRU is a bounded LRU map split in lruShards independently locked
// parts; the least recently used entry of a part goes when it is full.
type shardedLRU[K comparable, V any] struct {
	shards [lruShards]*lru.Cache[K, V]
	hash   func(K) uint64
}

func newShardedLRU[K comparable, V any](size int, hash func(K) uint64) *shardedLRU[K, V] {
	c := &shardedLRU[K, V]{hash: hash}
	per := max(size/lruShards, 1)
	for i := range c.shards {
		// lru.New fails only for a size below 1.
		c.shards[i], _ = lru.New[K, V](per)
	}
	return c
}

func (c *shardedLRU[K, V]) shard(k K) *lru.Cache[K, V] { return c.shards[c.hash(k)%lruShards] }

func (c *shardedLRU[K, V]) Get(k K) (V, bool) { return c.shard(k).Get(k) }

func (c *shardedLRU[K, V]) Add(k K, v V) { c.shard(k).Add(k, v) }

var seed = maphash.MakeSeed()

func hashAddr(a netip.Addr) uint64 { return maphash.Comparable(seed, a) }

func hashString(s string) uint64 { return maphash.String(seed, s) }

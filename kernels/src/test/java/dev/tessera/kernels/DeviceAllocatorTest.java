package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** The caching allocator's logic against a fake device, so it runs on CI without a GPU. */
class DeviceAllocatorTest {

    /** A fake device with a capacity; counts mallocs and frees. */
    static final class FakeDevice implements DeviceAllocator.Raw {
        final long capacity;
        long used, mallocs, frees;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public CUdeviceptr malloc(long bytes) {
            if (used + bytes > capacity) return null;
            used += bytes;
            mallocs++;
            return new SizedPtr(bytes);
        }

        @Override
        public void free(CUdeviceptr p) {
            used -= ((SizedPtr) p).bytes;
            frees++;
        }

        @Override
        public long[] memoryInfo() {
            return new long[] {capacity - used, capacity};
        }
    }

    static final class SizedPtr extends CUdeviceptr {
        final long bytes;

        SizedPtr(long bytes) {
            this.bytes = bytes;
        }
    }

    @Test
    void sizeClasses() {
        assertEquals(512, DeviceAllocator.sizeClass(0));
        assertEquals(512, DeviceAllocator.sizeClass(4));
        assertEquals(1024, DeviceAllocator.sizeClass(513));
        assertEquals(1 << 20, DeviceAllocator.sizeClass(1 << 20));
        assertEquals((1 << 20) + (1 << 18), DeviceAllocator.sizeClass((1 << 20) + 1));   // 1.25 MiB
        assertEquals(2L << 20, DeviceAllocator.sizeClass((2L << 20) - 5));
        assertEquals(5L << 19, DeviceAllocator.sizeClass((2L << 20) + 1));              // 2.5 MiB
        for (long b = 1; b < (1L << 34); b = b * 3 + 7) {
            long c = DeviceAllocator.sizeClass(b);
            assertTrue(c >= b, "class " + c + " < request " + b);
            assertTrue(b <= 512 || c <= b + Math.max(512, b / 4), "waste above 25% for " + b + " -> " + c);
            assertEquals(c, DeviceAllocator.sizeClass(c), "a class is its own class");
        }
    }

    @Test
    void releasedBlocksAreReusedWithoutNewMallocs() {
        FakeDevice dev = new FakeDevice(1L << 30);
        DeviceAllocator a = new DeviceAllocator(dev);
        var x = a.allocate(1000);
        var block = x.ptr();
        a.release(x);
        var y = a.allocate(900);  // same 1024-byte class
        assertSame(block, y.ptr());
        assertEquals(1, dev.mallocs);
        assertEquals(1, a.systemAllocations());
        assertThrows(IllegalStateException.class, x::ptr, "a released lease is poisoned");
        a.release(x);  // double release is a no-op
        assertEquals(1, a.liveBuffers());
    }

    @Test
    void memoryIsFlatOverAThousandSteps() {
        FakeDevice dev = new FakeDevice(1L << 30);
        DeviceAllocator a = new DeviceAllocator(dev);
        var params = a.allocate(4 << 20);
        long mallocsAfterWarmup = -1, usedAfterWarmup = -1;
        for (int step = 1; step <= 1000; step++) {
            List<DeviceAllocator.Allocation> scope = new ArrayList<>();
            for (int i = 0; i < 50; i++) scope.add(a.allocate(4L * (1000 + 37 * (i % 13))));
            scope.add(a.allocate(12_000_000));
            for (var x : scope) a.release(x);
            if (step == 3) {
                mallocsAfterWarmup = dev.mallocs;
                usedAfterWarmup = dev.used;
            }
        }
        assertEquals(mallocsAfterWarmup, dev.mallocs, "no cuMemAlloc after step 3");
        assertEquals(usedAfterWarmup, dev.used, "device memory flat");
        assertEquals(1, a.liveBuffers());
        a.release(params);
        a.close();
        assertEquals(0, dev.used, "close frees every block");
    }

    @Test
    void outOfMemoryEmptiesTheCacheRetriesThenExplains() {
        FakeDevice dev = new FakeDevice(10L << 20);
        DeviceAllocator a = new DeviceAllocator(dev);
        var big = a.allocate(6L << 20);
        a.release(big);                      // cached: 6 MiB still held from the device
        var other = a.allocate(8L << 20);    // fits only after the cache is emptied
        assertNotSame(null, other);
        assertEquals(1, dev.frees);
        var e = assertThrows(DeviceOutOfMemoryException.class, () -> a.allocate(5L << 20));
        assertTrue(e.getMessage().contains("requested 5.0 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("of 10.0 MiB is free"), e.getMessage());
        assertTrue(e.getMessage().contains("--batch"), e.getMessage());
    }
}

package dev.tessera.kernels;

/**
 * The NCCL entry points Tessera calls, with every pointer and handle as a plain address (nccl.h, NCCL 2.x):
 * <pre>
 *   ncclGetUniqueId(ncclUniqueId* id)                       the id is 128 opaque bytes (NCCL_UNIQUE_ID_BYTES)
 *   ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank)    id passed by value
 *   ncclAllReduce(const void* send, void* recv, size_t count, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t)
 *   ncclBroadcast(const void* send, void* recv, size_t count, ncclDataType_t, int root, ncclComm_t, cudaStream_t)
 *   ncclCommAbort(ncclComm_t)   ncclCommDestroy(ncclComm_t)
 * </pre>
 * {@link Nccl} binds them through FFM; the tests record them, so the argument mapping is checked without a GPU.
 */
interface NcclCalls {
    /** NCCL_UNIQUE_ID_BYTES. */
    int UNIQUE_ID_BYTES = 128;
    /** ncclDataType_t: ncclFloat32 (nccl.h: ncclInt8 0, ncclUint8 1, ncclInt32 2, ncclUint32 3, ncclInt64 4, ncclUint64 5, ncclFloat16 6, ncclFloat32 7). */
    int FLOAT32 = 7;
    /** ncclRedOp_t: ncclSum. */
    int SUM = 0;

    byte[] uniqueId();

    /** The new communicator's handle. */
    long commInitRank(int nranks, byte[] uniqueId, int rank);

    void allReduce(long send, long recv, long count, int dataType, int op, long comm, long stream);

    void broadcast(long send, long recv, long count, int dataType, int root, long comm, long stream);

    /** Ends a communicator whose operations may never finish (a dead peer). */
    void abort(long comm);

    void destroy(long comm);

    /** "2.21.5", and where the library was found. */
    String version();
}

package mesh

import "fmt"

// DefaultDiskReserve is the free space below which a node stops writing. Badger maps its
// memtables and value log as sparse files, and a write to a mapped page the disk has no
// room for kills the process (SIGBUS); so the node refuses writes well before the disk is
// full, says why, and takes them again once there is room.
const DefaultDiskReserve = 64 << 20

// disk watches the free space under a directory. It asks the system at every write (a
// statfs is about a microsecond), so a disk that fills between two writes is seen.
type disk struct {
	dir     string
	reserve uint64
}

func newDisk(dir string, reserve int64) *disk {
	return &disk{dir: dir, reserve: uint64(max(reserve, 0))}
}

// DiskRoom returns nil while the disk holding the data dir has room for need more bytes
// (and the reserve), else an ErrDiskFull that says how much is free.
func (m *Mesh) DiskRoom(need int64) error { return m.disk.room(need) }

// room returns nil while at least need bytes more than the reserve are free, else an
// ErrDiskFull that says how much there is.
func (d *disk) room(need int64) error {
	free, err := freeSpace(d.dir)
	if err != nil {
		return nil // cannot tell (no such directory yet): let the write itself say
	}
	if free >= d.reserve+uint64(max(need, 0)) {
		return nil
	}
	return fmt.Errorf("%w: the disk holding %s has %d MB free and meshmeet keeps %d MB spare: free some space", ErrDiskFull, d.dir, free>>20, d.reserve>>20)
}

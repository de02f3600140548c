package main

import (
	"fmt"
	"net"
	"os"
)

// notifySystemd tells the service manager that started licd as a Type=notify service
// (NOTIFY_SOCKET set) where it is: "READY=1" once both ports serve, "STOPPING=1" when it
// begins to shut down. Without NOTIFY_SOCKET it does nothing. The protocol is one datagram
// of newline-separated assignments (sd_notify(3)); it needs no library.
func notifySystemd(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' { // an abstract socket
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	return nil
}

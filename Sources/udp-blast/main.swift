print("udp-blast: not written yet")

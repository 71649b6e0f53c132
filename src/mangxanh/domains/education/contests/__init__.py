"""Online law contests ("tìm hiểu pháp luật"): the question bank, contests and their rounds,
registration, attempts held on the server, ranking, certificates and results."""

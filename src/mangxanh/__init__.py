"""Mạng Xanh: monitoring, case handling and reporting for a culture of conduct in cyberspace."""

__version__ = "0.1.0"

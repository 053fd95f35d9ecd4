"""The trial around the programme: eligibility, concealed allocation, each arm's calendar, and the
service that stores applications, interviews, allocations, withdrawals, exports and erasures."""

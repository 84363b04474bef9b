# Sweep-Sessions: a sweep whose trials run in PowerShell sessions, here two SSH sessions to this same machine; sessions
# to other machines work the same way. Each session must be able to import the same version of MlpTools (install it
# there with build.ps1 -Task Install); the data crosses once per session, and each result says where it ran.
#
# It needs PowerShell remoting over SSH to 127.0.0.1 (an sshd with a powershell subsystem, and your key): see
# Get-Help about_Remote_Requirements. Without it, the script says so and stops. The tests run it against their own
# private SSH server.
#
# Run: dotnet pwsh ./build.ps1; dotnet pwsh ./examples/Sweep-Sessions.ps1

. (Join-Path $PSScriptRoot '_Common.ps1')   # stop on errors, import the built module, Show-Example

try {
    Remove-PSSession -Session (New-PSSession -HostName 127.0.0.1 -ErrorAction Stop)
}
catch {
    Write-Warning "No PowerShell session over SSH to 127.0.0.1 here ($_). Set up SSH remoting to run this example."
    return
}

Show-Example 'A sweep over two sessions: the data sent once to each, every result saying where it ran' {
    $sessions = New-PSSession -HostName 127.0.0.1, 127.0.0.1
    $results = Import-Dataset -Name Digits |
        Invoke-MlpSweep @{ HiddenSize = 16, 32, 64; LearningRate = 0.1, 0.02 } -Seed 1 -Session $sessions
    $results | Sort-Object Trial | Format-Table Trial, HiddenSize, LearningRate, Score, ComputerName, SessionId, IsBest
    $sessions | Remove-PSSession
}

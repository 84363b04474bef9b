# Every exported command has complete help (after Pester's own tst/Help.Tests.ps1), and the help agrees with
# the code: the same parameters, the same parameter sets.

BeforeDiscovery {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $commands = @(Get-Command -Module MlpTools -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Help for <Name>' -ForEach $commands {
    BeforeAll {
        $command = Get-Command $Name -Module MlpTools
        $help = Get-Help $Name -Full
        $codeParameters = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $helpParameters = @($help.parameters.parameter | Where-Object { $_ } | ForEach-Object name | Sort-Object)
    }

    It 'is found, from the module''s help file' {
        $help.Name | Should -Be $Name
        $help.Category | Should -Be 'Cmdlet'
        $help.ModuleName | Should -Be 'MlpTools'
    }

    It 'has a synopsis (not the generated syntax)' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name((\s+\[+?-\w+)|$)"
    }

    It 'has a description' {
        $help.description | Should -Not -BeNullOrEmpty
        ($help.description.Text -join '').Length | Should -BeGreaterThan 100
    }

    It 'has at least one example, none empty, each with remarks' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) {
            $example.code.Trim() | Should -Not -BeNullOrEmpty
            ($example.remarks.Text -join '').Trim() | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter' {
        foreach ($parameter in $help.parameters.parameter) {
            ($parameter.description.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "-$($parameter.name) needs a description"
        }
    }

    It 'documents exactly the parameters the cmdlet has' {
        $helpParameters | Should -Be $codeParameters
    }

    It 'shows one syntax per parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be @($command.ParameterSets).Count
    }

    It 'documents the pipeline input of every parameter as the code has it' {
        foreach ($parameter in $help.parameters.parameter) {
            $attributes = @($command.Parameters[$parameter.name].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
            $byValue = [bool]($attributes | Where-Object ValueFromPipeline)
            $byName = [bool]($attributes | Where-Object ValueFromPipelineByPropertyName)
            ($parameter.pipelineInput -match 'ByValue') | Should -Be $byValue -Because "-$($parameter.name)"
            ($parameter.pipelineInput -match 'ByPropertyName') | Should -Be $byName -Because "-$($parameter.name)"
        }
    }

    It 'lists the error ids it can raise' {
        ($help.alertSet.alert.Text -join "`n") | Should -Match "FullyQualifiedErrorId is '<Id>,MlpTools\.Commands\.$($command.ImplementingType.Name)'"
    }
}
